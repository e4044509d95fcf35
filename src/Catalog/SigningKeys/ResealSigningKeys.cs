using Catalog.Secrets;
using Catalog.Hosting;

namespace Catalog.SigningKeys;

/// <summary>
/// Master key rotation (<c>secrets reseal</c>): each private signing key not yet sealed under the current master key
/// is sealed again under it, bound to the same account and kid. A key retired meanwhile (its private half erased) is
/// left as it is.
/// </summary>
public static class ResealSigningKeys
{
    public static readonly ISealedValues PrivateKeys = new SealedField<SigningKey, IDirectoryStore>(
        "signingKeys", nameof(SigningKey.SealedPrivateKey),
        (keys, current) => keys.Where(x => x.SealedPrivateKey != null && !x.SealedPrivateKey.StartsWith(current)),
        x => x.Id, x => x.SealedPrivateKey!, x => SigningKey.SealedFor(x.AccountId, x.Id));
}
