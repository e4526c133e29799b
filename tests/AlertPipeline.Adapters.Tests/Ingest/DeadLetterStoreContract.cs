using System.Text;
using AlertPipeline.Adapters.Ingest;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Adapters.Tests.Ingest;

/// <summary>What every <see cref="IDeadLetterStore"/> must do; run against the in-memory twin and against Table (+ blob) Storage.</summary>
public abstract class DeadLetterStoreContract
{
    /// <summary>The store's clock: 2026-03-04 10:00 UTC.</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 4, 10, 0, 0, TimeSpan.Zero));

    /// <summary>A fresh, empty store over <see cref="Clock"/>.</summary>
    protected abstract IDeadLetterStore Store { get; }

    /// <summary>When the messages of these tests were enqueued.</summary>
    protected static readonly DateTimeOffset Enqueued = new(2026, 3, 4, 9, 58, 30, TimeSpan.Zero);

    /// <summary>A reject from hub <c>sandbox-telemetry</c>, as the ingestor stamps it.</summary>
    protected static RejectedEvent Reject(string stream, long sequence, int record, string reason = "malformed-json", string detail = "unexpected end", byte[]? payload = null) =>
        new(new SourcePosition(stream, sequence, record), "ecs", reason, detail, "{\"event\":")
        {
            Hub = "sandbox-telemetry",
            PartitionId = stream.Split('/')[^1],
            Offset = (sequence * 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
            EnqueuedTime = Enqueued.AddSeconds(sequence),
            Payload = payload ?? Encoding.UTF8.GetBytes("{\"event\":"),
        };

    private async Task<List<DeadLetter>> All() => [.. await Store.ListAsync(new DeadLetterQuery(Max: int.MaxValue), CancellationToken.None)];

    private static string IdOf(RejectedEvent reject) => DeadLetterIds.For(reject, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Writes_every_field()
    {
        var reject = Reject("sandbox-telemetry/3", 42, 7) with { FormatGuess = "zeek" };

        await Store.WriteAsync([reject], CancellationToken.None);

        var letter = Assert.Single(await All());
        Assert.Equal(reject, letter.Rejected);
        Assert.Equal("sandbox-telemetry", letter.Rejected.Hub);
        Assert.Equal("3", letter.Rejected.PartitionId);
        Assert.Equal("4200", letter.Rejected.Offset);
        Assert.Equal(Enqueued.AddSeconds(42), letter.Rejected.EnqueuedTime);
        Assert.Equal(Clock.GetUtcNow(), letter.ReceivedTime);
        Assert.Equal(IdOf(reject), letter.Id);
        Assert.StartsWith("20260304-", letter.Id, StringComparison.Ordinal);
        Assert.Equal(reject.Payload.Length, letter.PayloadLength);
        Assert.True(letter.PayloadComplete);
        Assert.Null(letter.ReplayedAt);
        Assert.Equal(0, letter.ReplayCount);
        Assert.Equal(letter, await Store.GetAsync(letter.Id, CancellationToken.None));
        Assert.Equal(reject.Payload.ToArray(), await Store.ReadPayloadAsync(letter.Id, CancellationToken.None));
    }

    [Fact]
    public async Task The_same_rejected_record_recorded_twice_keeps_one_entry()
    {
        var reject = Reject("sandbox-telemetry/0", 9, 2);

        await Store.WriteAsync([reject], CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(3));
        await Store.WriteAsync([reject with { Detail = "again" }], CancellationToken.None);

        var letter = Assert.Single(await All());
        Assert.Equal("again", letter.Rejected.Detail);
        Assert.Equal(Clock.GetUtcNow(), letter.ReceivedTime);
    }

    [Fact]
    public async Task A_redelivered_batch_overwrites_instead_of_duplicating()
    {
        RejectedEvent[] batch = [Reject("hub/0", 1, 0), Reject("hub/0", 1, 1), Reject("hub/0", 2, 0)];

        await Store.WriteAsync(batch, CancellationToken.None);
        await Store.WriteAsync([.. batch.Select(r => r with { Detail = "again" })], CancellationToken.None);

        var stored = await All();
        Assert.Equal(3, stored.Count);
        Assert.All(stored, r => Assert.Equal("again", r.Rejected.Detail));
    }

    [Fact]
    public async Task One_position_with_two_reasons_is_two_entries()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0, "malformed-json"), Reject("hub/0", 1, 0, "too-large")], CancellationToken.None);

        Assert.Equal(["malformed-json", "too-large"], (await All()).Select(r => r.Rejected.Reason).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_same_position_twice_in_one_batch_keeps_the_last()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0, detail: "first"), Reject("hub/0", 1, 0, detail: "second")], CancellationToken.None);

        Assert.Equal(["second"], (await All()).Select(r => r.Rejected.Detail));
    }

    [Fact]
    public async Task A_large_batch_is_stored_whole()
    {
        var batch = Enumerable.Range(0, 250).Select(i => Reject("hub/1", 1000 + (i / 10), i % 10)).ToList();

        await Store.WriteAsync(batch, CancellationToken.None);

        var stored = await All();
        Assert.Equal(batch.Select(IdOf).Order(StringComparer.Ordinal), stored.Select(l => l.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_empty_batch_stores_nothing()
    {
        await Store.WriteAsync([], CancellationToken.None);

        Assert.Empty(await All());
    }

    [Fact]
    public async Task A_large_payload_is_read_back_whole_and_exact()
    {
        // 300 KB of multi-byte characters, an emoji (a surrogate pair in UTF-16) and bytes that are not UTF-8 at all.
        var text = string.Concat(Enumerable.Repeat("{\"process\":\"é漢😀\"}", 15_000));
        byte[] payload = [.. Encoding.UTF8.GetBytes(text), 0xFF, 0xC3, 0x28, 0x80];
        var reject = Reject("sandbox-telemetry/1", 5, 0, payload: payload);

        await Store.WriteAsync([reject], CancellationToken.None);

        var letter = Assert.Single(await All());
        Assert.Equal(payload.Length, letter.PayloadLength);
        Assert.True(letter.PayloadComplete);
        Assert.Equal(payload, await Store.ReadPayloadAsync(letter.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_small_payload_that_is_not_utf8_is_read_back_exact()
    {
        byte[] payload = [0x7B, 0xFF, 0xFE, 0xED, 0xA0, 0x80, 0x7D];
        var reject = Reject("hub/0", 1, 0, payload: payload);

        await Store.WriteAsync([reject], CancellationToken.None);

        Assert.Equal(payload, await Store.ReadPayloadAsync(IdOf(reject), CancellationToken.None));
    }

    [Fact]
    public async Task List_filters_by_time_and_reason_oldest_first()
    {
        await Store.WriteAsync(
        [
            Reject("hub/0", 30, 0, "too-large"),
            Reject("hub/0", 10, 0),
            Reject("hub/0", 20, 0),
            Reject("hub/0", 20, 0, "unknown-format") with { EnqueuedTime = Enqueued.AddDays(-2) },
        ], CancellationToken.None);

        var all = await All();
        Assert.Equal([Enqueued.AddDays(-2), Enqueued.AddSeconds(10), Enqueued.AddSeconds(20), Enqueued.AddSeconds(30)], all.Select(l => l.Rejected.EnqueuedTime));

        var since = await Store.ListAsync(new DeadLetterQuery(Since: Enqueued.AddSeconds(15)), CancellationToken.None);
        Assert.Equal([20L, 30L], since.Select(l => l.Rejected.Position.Sequence));

        var reason = await Store.ListAsync(new DeadLetterQuery(Reason: "malformed-json"), CancellationToken.None);
        Assert.Equal([10L, 20L], reason.Select(l => l.Rejected.Position.Sequence));

        var first = await Store.ListAsync(new DeadLetterQuery(Max: 2), CancellationToken.None);
        Assert.Equal(["unknown-format", "malformed-json"], first.Select(l => l.Rejected.Reason));
    }

    [Fact]
    public async Task Marking_a_replay_counts_and_survives_a_redelivery()
    {
        var reject = Reject("hub/0", 1, 0);
        await Store.WriteAsync([reject], CancellationToken.None);
        var id = IdOf(reject);
        var at = new DateTimeOffset(2026, 3, 5, 8, 0, 0, TimeSpan.Zero);

        Assert.True(await Store.MarkReplayedAsync(id, at, CancellationToken.None));
        Assert.True(await Store.MarkReplayedAsync(id, at.AddHours(1), CancellationToken.None));
        await Store.WriteAsync([reject], CancellationToken.None);

        var letter = await Store.GetAsync(id, CancellationToken.None);
        Assert.NotNull(letter);
        Assert.Equal(2, letter.ReplayCount);
        Assert.Equal(at.AddHours(1), letter.ReplayedAt);
    }

    [Fact]
    public async Task Unknown_ids_are_reported_as_absent()
    {
        await Store.WriteAsync([Reject("hub/0", 1, 0)], CancellationToken.None);

        foreach (var id in new[] { "20260304-0000000000000000", "not-an-id", "../../etc" })
        {
            Assert.Null(await Store.GetAsync(id, CancellationToken.None));
            Assert.Null(await Store.ReadPayloadAsync(id, CancellationToken.None));
            Assert.False(await Store.MarkReplayedAsync(id, Enqueued, CancellationToken.None));
        }
    }
}

/// <summary>The contract against <see cref="InMemoryDeadLetterStore"/>.</summary>
public sealed class InMemoryDeadLetterStoreTests : DeadLetterStoreContract
{
    private InMemoryDeadLetterStore? _store;

    protected override IDeadLetterStore Store => _store ??= new InMemoryDeadLetterStore(Clock);
}

/// <summary>The contract against <see cref="TableDeadLetterStore"/> on Azurite, plus keys, partitions, blobs and limits.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableDeadLetterStoreTests(AzuriteFixture azurite) : DeadLetterStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("deadletters");
    private readonly string _containerName = AzuriteFixture.UniqueContainerName("deadletters");
    private TableDeadLetterStore? _store;

    protected override IDeadLetterStore Store => _store ??= new TableDeadLetterStore(
        azurite.TableService, azurite.BlobService.GetBlobContainerClient(_containerName), _tableName, Clock);

    private TableClient Table => azurite.TableService.GetTableClient(_tableName);

    [Fact]
    public async Task Rows_are_partitioned_by_the_utc_day_of_the_enqueued_time_else_of_the_write()
    {
        // 23:59 at UTC-5 is already the next day in UTC.
        var late = new DateTimeOffset(2025, 12, 31, 23, 59, 0, TimeSpan.FromHours(-5));
        await Store.WriteAsync([Reject("hub/0", 1, 0) with { EnqueuedTime = late }, Reject("hub/0", 2, 0) with { EnqueuedTime = null }], CancellationToken.None);

        var partitions = await Table.QueryAsync<TableEntity>(select: ["PartitionKey"]).Select(e => e.PartitionKey).ToListAsync();

        Assert.Equal(["20260101", "20260304"], partitions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_payload_larger_than_a_row_keeps_a_prefix_cut_between_characters_and_the_whole_in_a_blob()
    {
        // Three-byte characters, so a cut at the byte limit would fall inside one.
        var payload = Encoding.UTF8.GetBytes(new string('漢', 40_000));
        var reject = Reject("hub/0", 1, 0, payload: payload);

        await Store.WriteAsync([reject], CancellationToken.None);

        var row = Assert.Single(await Table.QueryAsync<TableEntity>().ToListAsync());
        var prefix = row.GetBinary("Payload")!;
        Assert.InRange(prefix.Length, TableDeadLetterStore.MaxInlinePayloadBytes - 3, TableDeadLetterStore.MaxInlinePayloadBytes);
        Assert.Equal(0, prefix.Length % 3);
        Assert.Equal(payload.AsSpan(0, prefix.Length).ToArray(), prefix);
        Assert.Equal(payload.Length, row.GetInt32("PayloadLength"));
        var blob = row.GetString("PayloadBlob");
        Assert.Equal(row.RowKey, blob);
        var content = await azurite.BlobService.GetBlobContainerClient(_containerName).GetBlobClient(blob).DownloadContentAsync();
        Assert.Equal(payload, content.Value.Content.ToArray());
    }

    [Fact]
    public async Task Without_blob_storage_a_large_payload_keeps_its_prefix_and_says_it_is_incomplete()
    {
        var store = new TableDeadLetterStore(azurite.TableService, payloads: null, _tableName, Clock);
        var payload = Encoding.UTF8.GetBytes(new string('x', 100_000));
        var reject = Reject("hub/0", 1, 0, payload: payload);

        await store.WriteAsync([reject], CancellationToken.None);

        var letter = Assert.Single(await store.ListAsync(new DeadLetterQuery(), CancellationToken.None));
        Assert.False(letter.PayloadComplete);
        Assert.Null(letter.PayloadBlob);
        Assert.Equal(100_000, letter.PayloadLength);
        Assert.Null(await store.ReadPayloadAsync(letter.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Many_rows_with_payloads_near_the_row_limit_are_split_into_transactions_that_fit()
    {
        var payload = Encoding.UTF8.GetBytes(new string('p', TableDeadLetterStore.MaxInlinePayloadBytes));
        var batch = Enumerable.Range(0, 150).Select(i => Reject("hub/2", 7, i, payload: payload)).ToList();

        await Store.WriteAsync(batch, CancellationToken.None);

        Assert.Equal(150, (await Store.ListAsync(new DeadLetterQuery(), CancellationToken.None)).Count);
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
            Reject(new string('s', 2000), 1, int.MaxValue) with { Position = new SourcePosition(new string('s', 2000), long.MaxValue, int.MaxValue) },
        ];

        await Store.WriteAsync(rejects, CancellationToken.None);

        var stored = await Store.ListAsync(new DeadLetterQuery(), CancellationToken.None);
        Assert.Equal(5, stored.Count);
        Assert.Contains(stored, r => r.Rejected.Position.Stream == @"C:\logs\fw#1?.json");
        Assert.Contains(stored, r => r.Rejected.Position.Stream == "C:/logs/fw#1?.json");
        Assert.Contains(stored, r => r.Rejected.Position.Stream == "tab\there\u0001");
    }

    [Fact]
    public async Task Oversized_text_is_truncated_rather_than_failing_the_write()
    {
        var huge = new RejectedEvent(new SourcePosition("hub/0", 1, 0), "ecs", "malformed-json", new string('d', 100_000), new string('e', 100_000));

        await Store.WriteAsync([huge], CancellationToken.None);

        var stored = Assert.Single(await Store.ListAsync(new DeadLetterQuery(), CancellationToken.None)).Rejected;
        Assert.InRange(stored.Detail.Length, 1, 2048);
        Assert.InRange(stored.Excerpt.Length, 1, 2048);
        Assert.EndsWith("…", stored.Excerpt, StringComparison.Ordinal);
    }
}
