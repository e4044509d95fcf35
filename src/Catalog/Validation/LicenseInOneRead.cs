using Catalog.Machines;
using Catalog.Policies;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Validation;

/// <summary>A license and all a verdict on it consults: its product, its policy, and the active machine asked about.</summary>
public sealed record LicenseConsulted(License License, Product? Product, Policy? Policy, Machine? Machine);

/// <summary>
/// Validation's one round trip to PostgreSQL: one statement finds the license (by key, or by id for the client's own)
/// and joins its product, its policy and, when a fingerprint is asked about, its active machine with that fingerprint.
/// The policy is read on every validation, never copied into its licenses, so a policy's change holds at the next one.
/// Each join follows a primary key or the machines' license index; the key lookup is the key index's own expression.
/// </summary>
public sealed class LicenseInOneRead
{
    private readonly string _byKey;
    private readonly string _byId;
    private readonly ISerializer _serializer;

    public LicenseInOneRead(IDocumentStore store)
    {
        _serializer = store.Options.Serializer();
        string Table<T>() => store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
        var select = $"""
            select l.data, p.data, pol.data, m.data
            from {Table<License>()} l
            left join {Table<Product>()} p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid)
            left join {Table<Policy>()} pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid)
            left join lateral (
                select m.data from {Table<Machine>()} m
                where $3::text is not null and m.tenant_id = l.tenant_id and CAST(m.data ->> 'LicenseId' as uuid) = l.id
                  and m.data ->> 'Fingerprint' = $3 and m.data ->> 'DeactivatedAt' is null
                limit 1) m on true
            where l.tenant_id = $1 and
            """;
        _byKey = select + " l.data ->> 'Key' = $2";
        _byId = select + " l.id = $2";
    }

    /// <summary>The session's account's license with this key (well-formed, upper case), or null.</summary>
    public Task<LicenseConsulted?> ByKey(IQuerySession session, string key, string? fingerprint, CancellationToken token) =>
        Read(session, _byKey, key, fingerprint, token);

    public Task<LicenseConsulted?> ById(IQuerySession session, Guid id, string? fingerprint, CancellationToken token) =>
        Read(session, _byId, id, fingerprint, token);

    private async Task<LicenseConsulted?> Read(IQuerySession session, string sql, object license, string? fingerprint,
        CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql)
        {
            Parameters =
            {
                new() { Value = session.TenantId },
                new() { Value = license },
                new() { Value = (object?)fingerprint ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }
            }
        };
        await using var reader = await session.ExecuteReaderAsync(command, token);
        if (!await reader.ReadAsync(token)) return null;
        T? Read<T>(int index) where T : class => reader.IsDBNull(index) ? null : _serializer.FromJson<T>(reader, index);
        return new(Read<License>(0)!, Read<Product>(1), Read<Policy>(2), Read<Machine>(3));
    }
}
