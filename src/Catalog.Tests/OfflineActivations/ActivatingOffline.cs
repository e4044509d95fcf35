using System.Buffers.Text;
using Catalog.Machines;
using Catalog.OfflineActivations;
using Catalog.Tests.LicenseFiles;

namespace Catalog.Tests.OfflineActivations;

/// <summary>
/// An air-gapped machine's activation request, carried to a connected device and sent: the machine is activated under
/// every rule of online activation, and answered with a license file bound to it.
/// </summary>
public class ActivatingOffline(AppFixture fixture) : ApiTest(fixture)
{
    /// <summary>What the SDK writes: the base64url of the JSON object.</summary>
    private static string ARequest(string fingerprint, string product, string? nonce = null, string name = "Lab PC") =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { fingerprint, name, product, nonce = nonce ?? Guid.NewGuid().ToString("N") }));

    [Fact]
    public async Task a_request_carried_from_an_air_gapped_machine_activates_it_and_answers_a_file_bound_to_it()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var license = await IssueLicense(vendor, product.Id, new { maxMachines = 1 });
        var request = ARequest("air-gapped-1", product.Code);

        var sent = await AsLicense("POST", "/api/v1/client/offline-activations", license.Key, JsonSerializer.Serialize(new { request }));
        Assert.True(sent.Status == 201, sent.ToString());
        var answer = sent.As<OfflineActivationDetails>();
        Assert.Equal("air-gapped-1", answer.Machine.Fingerprint);
        Assert.Equal("Lab PC", answer.Machine.Name);
        var verified = await Jose.Verify(answer.File, (await Get($"/api/v1/accounts/{vendor.AccountId}/jwks.json", null)).Text, audience: product.Code);
        Assert.True(verified.Valid, verified.Error);
        Assert.Equal(answer.Machine.Id, verified.Claims.GetProperty("machine").GetProperty("id").GetGuid());
        Assert.Equal("air-gapped-1", verified.Claims.GetProperty("machine").GetProperty("fingerprint").GetString());

        // The same request again: the same machine, and a file.
        var again = await AsLicense("POST", "/api/v1/client/offline-activations", license.Key, JsonSerializer.Serialize(new { request }));
        Assert.Equal(200, again.Status);
        Assert.Equal(answer.Machine.Id, again.As<OfflineActivationDetails>().Machine.Id);
        Assert.Single(await EventsOfType(vendor, "machine.activated"));

        // Every rule of online activation: the seat is taken.
        var another = await Post($"/api/v1/licenses/{license.Id}/offline-activations", vendor, new { request = ARequest("air-gapped-2", product.Code) });
        Assert.Equal(409, another.Status);
        Assert.Equal("MACHINE_LIMIT_REACHED", another.Code);
        // The file holds the seat: deactivating the machine does not free it while the file is valid.
        Assert.Equal(204, (await AsLicense("DELETE", "/api/v1/client/machines/air-gapped-1", license.Key)).Status);
        Assert.Equal(409, (await Post($"/api/v1/licenses/{license.Id}/offline-activations", vendor,
            new { request = ARequest("air-gapped-2", product.Code) })).Status);
        await ReadModelsAgreeWithTheEvents();
    }

    [Fact]
    public async Task the_vendor_sends_a_request_for_its_customer_under_the_same_rules()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var license = await IssueLicense(vendor, product.Id, new { maxMachines = 2 });
        var sent = await Post($"/api/v1/licenses/{license.Id}/offline-activations", vendor, new { request = ARequest("support-desk", product.Code) });
        Assert.True(sent.Status == 201, sent.ToString());
        Assert.Equal(license.Id, sent.As<OfflineActivationDetails>().Machine.LicenseId);
        var narrow = await AKeyFor(vendor.AccountId, "licenses:read");
        Assert.Equal(403, (await Post($"/api/v1/licenses/{license.Id}/offline-activations", narrow, new { request = ARequest("x", product.Code) })).Status);
        var stranger = await AClient();
        Assert.Equal(404, (await Post($"/api/v1/licenses/{license.Id}/offline-activations", stranger, new { request = ARequest("x", product.Code) })).Status);
    }

    [Fact]
    public async Task a_request_for_another_product_or_a_malformed_one_activates_nothing()
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        var license = await IssueLicense(vendor, product.Id, new { maxMachines = 2 });

        var mismatch = await AsLicense("POST", "/api/v1/client/offline-activations", license.Key,
            JsonSerializer.Serialize(new { request = ARequest("fp", "another-product") }));
        Assert.Equal(403, mismatch.Status);
        Assert.Equal("PRODUCT_MISMATCH", mismatch.Code);

        string[] malformed =
        [
            "not base64url!",
            Base64Url.EncodeToString("not json"u8),
            Base64Url.EncodeToString("[1,2]"u8),
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { fingerprint = "fp", name = "n", nonce = "1" })), // no product
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { fingerprint = "fp", name = "n", product = product.Code })), // no nonce
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { fingerprint = "", name = "n", product = product.Code, nonce = "1" })),
            ""
        ];
        foreach (var request in malformed)
        {
            var refused = await AsLicense("POST", "/api/v1/client/offline-activations", license.Key, JsonSerializer.Serialize(new { request }));
            Assert.True(refused.Status == 400, $"{request}: {refused}");
            Assert.Equal(["request"], refused.ErrorFields);
        }
        Assert.Equal(400, (await AsLicense("POST", "/api/v1/client/offline-activations", license.Key, "{}")).Status);
        Assert.Empty(await EventsOfType(vendor, "machine.activated"));
    }
}
