using Catalog.Secrets;
using Catalog.Accounts;

namespace Catalog.SigningKeys;

/// <summary>The first key of a new account, made in the transaction that creates it: its JWK Set is never empty.</summary>
public sealed class FirstSigningKey(SecretBox secrets) : INewAccountSetup
{
    public void Setup(Account account, IDocumentSession directory) =>
        directory.Insert(SigningKey.Create(account.Id, generation: 1, secrets, account.CreatedAt));
}
