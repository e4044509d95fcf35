namespace Catalog.Machines;

/// <summary>
/// The two statements on heartbeat rows Marten has no call for: the license's rows read for update (by the decisions
/// that count seats, under the license stream's lock), and one row rewritten in place (a heartbeat: an UPDATE of
/// <c>data</c> alone, which PostgreSQL makes a HOT update, where Marten's upsert would also insert).
/// </summary>
public sealed class HeartbeatRows
{
    private readonly string _forUpdate;
    private readonly string _write;
    private readonly ISerializer _serializer;

    public HeartbeatRows(IDocumentStore store)
    {
        _serializer = store.Options.Serializer();
        var table = store.Options.FindOrResolveDocumentType(typeof(MachineHeartbeat)).TableName.QualifiedName;
        _forUpdate = $"select data from {table} where tenant_id = $1 and license_id = $2 for update";
        // Only the heartbeat's own fields: a borrow written meanwhile (its BorrowedUntil) is kept.
        _write = $"update {table} set data = data || $3::jsonb where tenant_id = $1 and id = $2";
    }

    /// <summary>
    /// The license's heartbeat rows, locked until the transaction ends: a heartbeat racing the decision waits for it
    /// and then finds its row gone (the machine was recorded dead), or the decision waits and reads the heartbeat.
    /// </summary>
    public async Task<Dictionary<Guid, MachineHeartbeat>> ForUpdate(IDocumentSession session, Guid licenseId, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(_forUpdate)
        {
            Parameters = { new() { Value = session.TenantId }, new() { Value = licenseId } }
        };
        var beats = new Dictionary<Guid, MachineHeartbeat>();
        await using var reader = await session.ExecuteReaderAsync(command, token);
        while (await reader.ReadAsync(token))
        {
            var beat = _serializer.FromJson<MachineHeartbeat>(reader, 0);
            beats[beat.Id] = beat;
        }
        return beats;
    }

    /// <summary>Writes the heartbeat into the machine's row; false when there is none any more (the machine left its license).</summary>
    public async Task<bool> Write(IQuerySession session, MachineHeartbeat beat, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(_write)
        {
            Parameters =
            {
                new() { Value = session.TenantId },
                new() { Value = beat.Id },
                new() { Value = _serializer.ToJson(new { beat.LastAt, beat.ExpiresAt }), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb }
            }
        };
        return await session.ExecuteAsync(command, token) == 1;
    }
}
