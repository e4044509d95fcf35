using Catalog.Secrets;
using System.Security.Cryptography;
using System.Text;
using Catalog.Hosting;
using Microsoft.Extensions.Configuration;

namespace Catalog.Tests.Reliability;

/// <summary>Sealed values name the master key that sealed them; previous keys open what they sealed, and nothing else does.</summary>
public class when_rotating_the_master_key
{
    private static readonly byte[] A = RandomNumberGenerator.GetBytes(32), B = RandomNumberGenerator.GetBytes(32);

    private static IConfiguration Settings(params (string Name, string Value)[] settings) => new ConfigurationBuilder()
        .AddInMemoryCollection(settings.ToDictionary(x => x.Name, x => (string?)x.Value)).Build();

    private static SecretBox Box(byte[] current, params byte[][] previous) => new(Settings(
        [(SecretBox.Setting, Convert.ToBase64String(current)), .. previous.Select((x, i) => ($"{SecretBox.PreviousSetting}:{i}", Convert.ToBase64String(x)))]));

    /// <summary>What the service sealed before key ids: <c>v1.</c> and base64 of nonce, ciphertext and tag.</summary>
    private static string SealedAsV1(byte[] key, string plaintext, string boundTo)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[Encoding.UTF8.GetByteCount(plaintext)];
        var tag = new byte[16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, Encoding.UTF8.GetBytes(plaintext), ciphertext, tag, Encoding.UTF8.GetBytes(boundTo));
        return "v1." + Convert.ToBase64String([.. nonce, .. ciphertext, .. tag]);
    }

    [Fact]
    public void a_value_sealed_now_names_the_current_key_by_an_id_that_tells_nothing_of_it()
    {
        var box = Box(B, A);
        var sealedValue = box.Seal("whsec_x", "webhook-secret:1");

        Assert.Equal(SecretBox.IdOf(B), box.KeyId);
        Assert.Matches("^[0-9a-f]{16}$", box.KeyId);
        Assert.NotEqual(Convert.ToHexStringLower(B.AsSpan(0, 8)), box.KeyId);
        Assert.NotEqual(SecretBox.IdOf(A), box.KeyId);
        Assert.StartsWith($"v2.{box.KeyId}.", sealedValue);
        Assert.True(SecretBox.IsSealed(sealedValue));
        Assert.True(box.IsSealedUnderCurrentKey(sealedValue));
        Assert.Equal("whsec_x", box.OpenText(sealedValue, "webhook-secret:1"));
    }

    [Fact]
    public void a_value_sealed_before_key_ids_still_opens_under_the_current_key_or_a_previous_one()
    {
        var sealedValue = SealedAsV1(A, "whsec_old", "webhook-secret:1");

        Assert.True(SecretBox.IsSealed(sealedValue));
        Assert.Equal("whsec_old", Box(A).OpenText(sealedValue, "webhook-secret:1"));
        Assert.Equal("whsec_old", Box(B, A).OpenText(sealedValue, "webhook-secret:1"));
        Assert.False(Box(A).IsSealedUnderCurrentKey(sealedValue)); // a reseal gives it its key id

        var resealed = Box(B, A).Reseal(sealedValue, "webhook-secret:1");
        Assert.StartsWith($"v2.{SecretBox.IdOf(B)}.", resealed);
        Assert.Equal("whsec_old", Box(B).OpenText(resealed, "webhook-secret:1"));
    }

    [Fact]
    public void a_previous_key_opens_what_it_sealed_and_a_reseal_moves_it_to_the_current_key()
    {
        var underA = Box(A).Seal("private key", "signing-key:a:k");

        Assert.Equal("private key", Box(B, A).OpenText(underA, "signing-key:a:k"));
        Assert.Equal("private key", Box(B, RandomNumberGenerator.GetBytes(32), A).OpenText(underA, "signing-key:a:k"));
        var resealed = Box(B, A).Reseal(underA, "signing-key:a:k");
        Assert.NotEqual(underA, resealed);
        Assert.Equal(resealed, Box(B, A).Reseal(resealed, "signing-key:a:k")); // a second reseal changes nothing
        Assert.Equal("private key", Box(B).OpenText(resealed, "signing-key:a:k"));
        Assert.ThrowsAny<CryptographicException>(() => Box(A).Open(resealed, "signing-key:a:k"));
        // Still bound to what it belongs to.
        Assert.ThrowsAny<CryptographicException>(() => Box(B).Open(resealed, "signing-key:a:other"));
    }

    [Fact]
    public void a_key_that_is_neither_current_nor_previous_opens_nothing()
    {
        var underA = Box(A).Seal("secret", "x");
        var v1UnderA = SealedAsV1(A, "secret", "x");

        var refused = Assert.ThrowsAny<CryptographicException>(() => Box(B).Open(underA, "x"));
        Assert.Contains(SecretBox.IdOf(A), refused.Message); // the operator learns which key it needs
        Assert.Contains(SecretBox.PreviousSetting, refused.Message);
        Assert.ThrowsAny<CryptographicException>(() => Box(B, RandomNumberGenerator.GetBytes(32)).Open(v1UnderA, "x"));
        // A key id altered to name the current key does not make the value open under it.
        Assert.ThrowsAny<CryptographicException>(() => Box(B).Open(underA.Replace(SecretBox.IdOf(A), SecretBox.IdOf(B)), "x"));
        Assert.ThrowsAny<CryptographicException>(() => Box(B).Open("v2.nokeyid", "x"));
        Assert.ThrowsAny<CryptographicException>(() => Box(B).Open("v3.abc.def", "x"));
        Assert.False(SecretBox.IsSealed("whsec_abc"));
    }

    [Fact]
    public void previous_keys_are_an_array_or_one_comma_separated_value_and_a_malformed_one_is_named_in_one_line()
    {
        var underA = Box(A).Seal("secret", "x");
        var other = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var current = (SecretBox.Setting, Convert.ToBase64String(B));

        var commaSeparated = Settings(current, (SecretBox.PreviousSetting, $"{other}, {Convert.ToBase64String(A)}"));
        Assert.Null(SecretBox.Problem(commaSeparated));
        Assert.Equal("secret", new SecretBox(commaSeparated).OpenText(underA, "x"));
        Assert.Null(SecretBox.Problem(Settings(current, (SecretBox.PreviousSetting, ""))));

        foreach (var malformed in new[] { "c2hvcnQ=", "not base64!", $"{other},c2hvcnQ=" })
        {
            var settings = Settings(current, ($"{SecretBox.PreviousSetting}:0", malformed));
            var problem = SecretBox.Problem(settings);
            Assert.NotNull(problem);
            Assert.StartsWith(SecretBox.PreviousSetting, problem);
            Assert.DoesNotContain('\n', problem);
            // Nor does the box seal or open anything: the key it lacks would be missed halfway.
            Assert.Throws<MasterKeyMissingException>(() => new SecretBox(settings).Seal("secret", "x"));
        }
    }
}
