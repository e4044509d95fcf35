using Npgsql;

namespace Catalog.Tests.Webhooks;

/// <summary>
/// A webhook feed that two nodes ran at once (after a database outage each can take the other for dead) stops on
/// finding its progress moved under it. It is released and assigned again, and deliveries resume; left alone by
/// Wolverine, that database's deliveries stopped until a restart.
/// </summary>
public class ARacedFeedResumes(AppFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task a_feed_whose_progress_another_runner_moved_resumes_and_delivers()
    {
        await using var receiver = await Receiver.Start();
        var client = await AClient();
        Assert.Equal(201, (await Post("/api/v1/webhook-endpoints", client, new { url = receiver.Url, events = new[] { "product.created" } })).Status);
        await CreateProduct(client, AProduct("before"));
        await Eventually(() => Task.FromResult(!receiver.Requests.IsEmpty), "the first delivery");

        // Another runner's progress, one event further, as a second node running the same feed writes it.
        foreach (var database in StorageMode.AccountDatabases)
        {
            await using var connection = await OpenDatabase(database);
            await using var moved = new NpgsqlCommand(
                "update catalog.mt_event_progression set last_seq_id = last_seq_id + 1 where name = 'webhooks:All' and last_seq_id > 0", connection);
            await moved.ExecuteNonQueryAsync();
        }
        // An event that sends nothing (no endpoint of its account): the feed records its progress alone, and finds it moved.
        await CreateProduct(await AClient(), AProduct("unsubscribed"));
        await Task.Delay(2000);
        await CreateProduct(client, AProduct("after"));

        await Eventually(() => Task.FromResult(receiver.Requests.Any(x => x.Body.Contains("\"after\""))), "the delivery after the race", seconds: 60);
    }
}
