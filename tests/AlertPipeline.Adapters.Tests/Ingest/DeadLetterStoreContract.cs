using AlertPipeline.Adapters.Ingest;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Ingest;

/// <summary>What every <see cref="IDeadLetterStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class DeadLetterStoreContract
{
    /// <summary>A fresh, empty store.</summary>
    protected abstract IDeadLetterStore Store { get; }

    /// <summary>Everything the store holds, in position order.</summary>
    protected abstract Task<IReadOnlyList<RejectedEvent>> ReadBackAsync();

    /// <summary>A reject at (<paramref name="stream"/>, <paramref name="sequence"/>, <paramref name="record"/>).</summary>
    protected static RejectedEvent Reject(string stream, long sequence, int record, string reason = "malformed-json", string detail = "unexpected end") =>
        new(new SourcePosition(stream, sequence, record), "ecs", reason, detail, "{\"event\":");

    private async Task<List<RejectedEvent>> Sorted() => [.. (await ReadBackAsync())
        .OrderBy(r => r.Position.Stream, StringComparer.Ordinal).ThenBy(r => r.Position.Sequence).ThenBy(r => r.Position.Record)
        .ThenBy(r => r.Reason, StringComparer.Ordinal)];

    [Fact]
    public async Task Writes_every_field()
    {
        var reject = Reject("sandbox-telemetry/3", 42, 7) with { FormatGuess = "zeek" };

        await Store.WriteAsync([reject], CancellationToken.None);

        Assert.Equal([reject], await Sorted());
    }

    [Fact]
    public async Task A_redelivered_batch_overwrites_instead_of_duplicating()
    {
        RejectedEvent[] batch = [Reject("hub/0", 1, 0), Reject("hub/0", 1, 1), Reject("hub/0", 2, 0)];

        await Store.WriteAsync(batch, CancellationToken.None);
        await Store.WriteAsync([.. batch.Select(r => r with { Detail = "again" })], CancellationToken.None);

        var stored = await Sorted();
        Assert.Equal(3, stored.Count);
        Assert.All(stored, r => Assert.Equal("again", r.Detail));
    }

    [Fact]
    public async Task One_position_with_two_reasons_is_two_entries()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0, "malformed-json"), Reject("hub/0", 1, 0, "too-large")], CancellationToken.None);

        Assert.Equal(["malformed-json", "too-large"], (await Sorted()).Select(r => r.Reason));
    }

    [Fact]
    public async Task The_same_position_twice_in_one_batch_keeps_the_last()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0, detail: "first"), Reject("hub/0", 1, 0, detail: "second")], CancellationToken.None);

        Assert.Equal(["second"], (await Sorted()).Select(r => r.Detail));
    }

    [Fact]
    public async Task A_large_batch_is_stored_whole()
    {
        var batch = Enumerable.Range(0, 250).Select(i => Reject("hub/1", 1000 + (i / 10), i % 10)).ToList();

        await Store.WriteAsync(batch, CancellationToken.None);

        Assert.Equal(batch, await Sorted());
    }

    [Fact]
    public async Task An_empty_batch_stores_nothing()
    {
        await Store.WriteAsync([], CancellationToken.None);

        Assert.Empty(await ReadBackAsync());
    }
}

/// <summary>The contract against <see cref="InMemoryDeadLetterStore"/>.</summary>
public sealed class InMemoryDeadLetterStoreTests : DeadLetterStoreContract
{
    private readonly InMemoryDeadLetterStore _store = new();

    protected override IDeadLetterStore Store => _store;

    protected override Task<IReadOnlyList<RejectedEvent>> ReadBackAsync() => Task.FromResult(_store.Items);
}

/// <summary>The contract against <see cref="TableDeadLetterStore"/> on Azurite, plus keys, partitions and limits.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableDeadLetterStoreTests(AzuriteFixture azurite) : DeadLetterStoreContract
{
    private static readonly DateTimeOffset Now = new(2025, 12, 31, 23, 59, 0, TimeSpan.FromHours(-5));

    private readonly string _tableName = AzuriteFixture.UniqueTableName("deadletters");
    private readonly FixedTime _time = new(Now);
    private TableDeadLetterStore? _store;

    protected override IDeadLetterStore Store => _store ??= new TableDeadLetterStore(azurite.TableService, _tableName, _time);

    private TableClient Table => azurite.TableService.GetTableClient(_tableName);

    protected override async Task<IReadOnlyList<RejectedEvent>> ReadBackAsync()
    {
        await Table.CreateIfNotExistsAsync();
        var rows = new List<RejectedEvent>();
        await foreach (var e in Table.QueryAsync<TableEntity>())
        {
            rows.Add(new RejectedEvent(
                new SourcePosition(e.GetString("Stream")!, e.GetInt64("Sequence")!.Value, e.GetInt32("Record")!.Value),
                e.GetString("Format")!, e.GetString("Reason")!, e.GetString("Detail")!, e.GetString("Excerpt")!, e.GetString("FormatGuess")));
        }

        return rows;
    }

    [Fact]
    public async Task Rows_are_partitioned_by_the_utc_date_of_the_write()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0)], CancellationToken.None);
        _time.Now = Now.AddDays(1);
        await Store.WriteAsync([Reject("hub/0", 2, 0)], CancellationToken.None);

        var partitions = await Table.QueryAsync<TableEntity>(select: ["PartitionKey"]).Select(e => e.PartitionKey).ToListAsync();

        // 23:59 at UTC-5 is already the next day in UTC.
        Assert.Equal(["20260101", "20260102"], partitions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Streams_with_characters_tables_forbid_are_stored_and_kept_apart()
    {
        RejectedEvent[] rejects =
        [
            Reject(@"C:\logs\fw#1?.json", 1, 0),
            Reject("C:/logs/fw#1?.json", 1, 0),
            Reject("C:_logs_fw_1_.json", 1, 0),
            Reject("tab\there\u0001", 1, 0),
            Reject(new string('s', 2000), long.MaxValue, int.MaxValue),
        ];

        await Store.WriteAsync(rejects, CancellationToken.None);

        var stored = await ReadBackAsync();
        Assert.Equal(5, stored.Count);
        Assert.Contains(stored, r => r.Position.Stream == @"C:\logs\fw#1?.json");
        Assert.Contains(stored, r => r.Position.Stream == "C:/logs/fw#1?.json");
        Assert.Contains(stored, r => r.Position.Stream == "tab\there\u0001");
    }

    [Fact]
    public async Task Oversized_text_is_truncated_rather_than_failing_the_write()
    {
        var huge = new RejectedEvent(new SourcePosition("hub/0", 1, 0), "ecs", "malformed-json", new string('d', 100_000), new string('e', 100_000));

        await Store.WriteAsync([huge], CancellationToken.None);

        var stored = Assert.Single(await ReadBackAsync());
        Assert.InRange(stored.Detail.Length, 1, 2048);
        Assert.InRange(stored.Excerpt.Length, 1, 2048);
        Assert.EndsWith("…", stored.Excerpt, StringComparison.Ordinal);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();
    }
}
