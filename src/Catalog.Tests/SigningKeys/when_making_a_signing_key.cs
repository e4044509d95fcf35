using Catalog.Secrets;
using System.Buffers.Text;
using System.Security.Cryptography;
using Catalog.Hosting;
using Catalog.SigningKeys;
using Microsoft.Extensions.Configuration;
using NSec.Cryptography;

namespace Catalog.Tests.SigningKeys;

/// <summary>A key pair, its kid, and its private half sealed under the master key.</summary>
public class when_making_a_signing_key
{
    private static SecretBox AMasterKey() => new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [SecretBox.Setting] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) })
        .Build());

    [Fact]
    public void its_kid_is_its_thumbprint_and_never_reads_as_a_command_line_option()
    {
        var secrets = AMasterKey();
        for (var i = 0; i < 300; i++)
        {
            var key = SigningKey.Create(Guid.CreateVersion7(), 1, secrets, Given.Now);
            Assert.False(key.Id.StartsWith('-'), key.Id);
            Assert.Equal(Jwk.Thumbprint(key.PublicKey), key.Id);
        }
    }

    [Fact]
    public void it_signs_only_where_its_master_key_and_its_own_kid_open_it()
    {
        var secrets = AMasterKey();
        var key = SigningKey.Create(Guid.CreateVersion7(), 1, secrets, Given.Now);
        var data = "header.payload"u8.ToArray();

        var signature = key.Sign(data, secrets);
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Base64Url.DecodeFromChars(key.PublicKey), KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, data, signature));

        // Another master key, or the sealed key copied under another kid, does not open.
        Assert.ThrowsAny<CryptographicException>(() => key.Sign(data, AMasterKey()));
        var other = SigningKey.Create(key.AccountId, 2, secrets, Given.Now);
        Assert.ThrowsAny<CryptographicException>(() => (other with { SealedPrivateKey = key.SealedPrivateKey }).Sign(data, secrets));
        Assert.ThrowsAny<CryptographicException>(() => (key with { AccountId = Guid.CreateVersion7() }).Sign(data, secrets));
        // A retired key has nothing left to sign with.
        Assert.Throws<InvalidOperationException>(() => (key with { SealedPrivateKey = null, RetiredAt = Given.Now }).Sign(data, secrets));
    }

    [Fact]
    public void a_missing_or_malformed_master_key_is_named_in_one_line()
    {
        static string? ProblemWith(string? value) => SecretBox.Problem(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [SecretBox.Setting] = value }).Build());

        Assert.Null(ProblemWith(Convert.ToBase64String(new byte[32])));
        Assert.StartsWith("Secrets:MasterKey is not set", ProblemWith(null));
        Assert.Contains("exactly 32 bytes", ProblemWith(Convert.ToBase64String(new byte[16])));
        Assert.Contains("exactly 32 bytes", ProblemWith("%%%"));
        Assert.DoesNotContain('\n', ProblemWith(null)!);
    }
}
