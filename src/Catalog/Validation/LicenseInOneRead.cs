using Catalog.Http;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;
using Catalog.Products;
using License = Catalog.Licenses.License;

namespace Catalog.Validation;

/// <summary>
/// A license and all a verdict on it consults: its product, its policy, the active machine asked about and its
/// heartbeat row, and, when asked for, how many of its leases live at an instant.
/// </summary>
public sealed record LicenseConsulted(License License, Product? Product, Policy? Policy, Machine? Machine, MachineHeartbeat? Heartbeat = null,
    int LiveLeases = 0)
{
    /// <summary>No active machine has the fingerprint asked about, and the last that had it was recorded dead (missed heartbeat).</summary>
    public bool RecordedDead { get; init; }

    /// <summary>The fingerprint asked about is an active machine, or one that died of a missed heartbeat.</summary>
    public bool FingerprintKnown => Machine is not null || RecordedDead;

    /// <summary>The machine asked about is past its heartbeatExpiresAt (recorded or not yet): it holds no seat.</summary>
    public bool MachineDeadAt(DateTimeOffset now) => RecordedDead || Machine is not null && HeartbeatRules.IsDead(Heartbeat, Policy, now);
}

/// <summary>
/// Validation's one round trip to PostgreSQL: one statement finds the license (by key, or by id for the client's own)
/// and joins its product, its policy and, when a fingerprint is asked about, its active machine with that fingerprint.
/// The policy is read on every validation, never copied into its licenses, so a policy's change holds at the next one.
/// Each join follows a primary key or a license index; the key lookup is the key index's own expression. Leases are
/// counted only when asked for (an instant given), by the lease grant's decision.
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
            select l.data, p.data, pol.data, m.data, h.data, leases.live
            from {Table<License>()} l
            left join {Table<Product>()} p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid)
            left join {Table<Policy>()} pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid)
            left join lateral (
                select m.id, m.data from {Table<Machine>()} m
                where $3::text is not null and m.tenant_id = l.tenant_id and CAST(m.data ->> 'LicenseId' as uuid) = l.id
                  and m.data ->> 'Fingerprint' = $3 and (m.data ->> 'DeactivatedAt' is null or m.data ->> 'DiedAt' is not null)
                order by m.data ->> 'DeactivatedAt' nulls first
                limit 1) m on true
            left join {Table<MachineHeartbeat>()} h on h.tenant_id = l.tenant_id and h.id = m.id
            left join lateral (
                select count(*)::int as live from {Table<Lease>()} x
                where $4::timestamptz is not null and x.tenant_id = l.tenant_id and x.license_id = l.id
                  and CAST(x.data ->> 'ExpiresAt' as timestamptz) > $4) leases on true
            where l.tenant_id = $1 and
            """;
        _byKey = select + " l.data ->> 'Key' = $2";
        _byId = select + " l.id = $2";
    }

    /// <summary>
    /// The account's license with this key (well-formed, upper case), or null: validation, which reads on the account's
    /// source alone (no session).
    /// </summary>
    public async Task<LicenseConsulted?> ByKey(AccountSource source, string key, string? fingerprint, CancellationToken token)
    {
        await using var command = Command(source.DataSource.CreateCommand(_byKey), source.Account, key, fingerprint, null);
        await using var reader = await source.ReadAsync(command, token);
        return await Read(reader, token);
    }

    /// <summary>The session's account's license with this id, or null; with <paramref name="leasesLiveAt"/>, its leases live then counted.</summary>
    public async Task<LicenseConsulted?> ById(IQuerySession session, Guid id, string? fingerprint, CancellationToken token,
        DateTimeOffset? leasesLiveAt = null)
    {
        await using var command = Command(new NpgsqlCommand(_byId), session.TenantId, id, fingerprint, leasesLiveAt);
        await using var reader = await session.ExecuteReaderAsync(command, token);
        return await Read(reader, token);
    }

    private static NpgsqlCommand Command(NpgsqlCommand command, string account, object license, string? fingerprint, DateTimeOffset? leasesLiveAt)
    {
        command.Parameters.Add(new() { Value = account });
        command.Parameters.Add(new() { Value = license });
        command.Parameters.Add(new() { Value = (object?)fingerprint ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)leasesLiveAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        return command;
    }

    private async Task<LicenseConsulted?> Read(System.Data.Common.DbDataReader reader, CancellationToken token)
    {
        if (!await reader.ReadAsync(token)) return null;
        T? Read<T>(int index) where T : class => reader.IsDBNull(index) ? null : _serializer.FromJson<T>(reader, index);
        var machine = Read<Machine>(3);
        var died = machine?.DiedAt is not null;
        return new(Read<License>(0)!, Read<Product>(1), Read<Policy>(2), died ? null : machine, Read<MachineHeartbeat>(4), reader.GetInt32(5))
        {
            RecordedDead = died
        };
    }
}
