using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Tests.Detect.Correlation;

namespace AlertPipeline.Adapters.Tests.Detect;

/// <summary>What every <see cref="ICorrelationStateStore"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class CorrelationStateStoreContract
{
    private static readonly DateTimeOffset Now = new(2025, 11, 14, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract ICorrelationStateStore Store { get; }

    private static CorrelationState State(string rule, string group, int entries = 3) => new()
    {
        RuleId = rule,
        GroupKey = group,
        GroupText = "sandbox.id=sbx-ünï\nsource.ip=10.0.0.1",
        Fingerprint = 0xF00D_BEEF_DEAD_0001UL,
        Entries = Enumerable.Range(0, entries).Select(i => new CorrelationEntry(Now.UtcTicks + i, (ulong)i * 0x9E3779B97F4A7C15UL, ulong.MaxValue - (ulong)i, (byte)(i % 3))).ToList(),
        MaxTicks = Now.UtcTicks + entries,
        EvictedThroughTicks = 11,
        ClosedThroughTicks = 22,
        EpisodeKeyTicks = 33,
        EpisodeStartTicks = 44,
        EpisodeEndTicks = 55,
        EpisodeMax = 66,
        ExpiresAt = Now.AddMinutes(10),
    };

    [Fact]
    public async Task Insert_then_get_round_trips_every_field()
    {
        var state = State("rule-1", "g1");
        Assert.True(await Store.TryWriteAsync(state, CancellationToken.None));
        Assert.False(string.IsNullOrEmpty(state.ETag));

        var read = await Store.GetAsync("rule-1", "g1", CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(state.Entries, read.Entries);
        Assert.Equal(
            (state.GroupText, state.Fingerprint, state.MaxTicks, state.EvictedThroughTicks, state.ClosedThroughTicks, state.EpisodeKeyTicks, state.EpisodeStartTicks, state.EpisodeEndTicks, state.EpisodeMax, state.ExpiresAt, state.ETag),
            (read.GroupText, read.Fingerprint, read.MaxTicks, read.EvictedThroughTicks, read.ClosedThroughTicks, read.EpisodeKeyTicks, read.EpisodeStartTicks, read.EpisodeEndTicks, read.EpisodeMax, read.ExpiresAt, read.ETag));
    }

    [Fact]
    public async Task Get_of_a_missing_group_is_null()
    {
        Assert.Null(await Store.GetAsync("rule-1", "nope", CancellationToken.None));
    }

    [Fact]
    public async Task Two_writers_of_one_group_cannot_both_win()
    {
        // Both instances saw no state and insert: the second learns it lost.
        Assert.True(await Store.TryWriteAsync(State("rule-1", "g1", 1), CancellationToken.None));
        Assert.False(await Store.TryWriteAsync(State("rule-1", "g1", 2), CancellationToken.None));

        // Both read the same version and replace: only the first succeeds; the loser's stale ETag is refused.
        var mine = (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!;
        var theirs = (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!;
        mine.Entries.Add(new CorrelationEntry(Now.UtcTicks + 100, 100, 0, 0));
        theirs.Entries.Add(new CorrelationEntry(Now.UtcTicks + 200, 200, 0, 0));
        Assert.True(await Store.TryWriteAsync(mine, CancellationToken.None));
        Assert.False(await Store.TryWriteAsync(theirs, CancellationToken.None));

        var stored = (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!;
        Assert.Equal([0UL, 100UL], stored.Entries.Select(e => e.Key));
        Assert.Equal(mine.ETag, stored.ETag);
    }

    [Fact]
    public async Task State_is_copied_in_and_out()
    {
        var state = State("rule-1", "g1");
        await Store.TryWriteAsync(state, CancellationToken.None);
        state.Entries.Clear();

        var read = (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!;
        read.Entries.Clear();

        Assert.Equal(3, (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!.Entries.Count);
    }

    [Fact]
    public async Task Lists_groups_of_one_rule_and_expired_groups_of_all_rules()
    {
        await Store.TryWriteAsync(State("rule-1", "g1"), CancellationToken.None);
        await Store.TryWriteAsync(With(State("rule-1", "g2"), Now.AddHours(-1)), CancellationToken.None);
        await Store.TryWriteAsync(With(State("rule-2", "g1"), Now.AddHours(-2)), CancellationToken.None);

        var ofRule1 = await ToListAsync(Store.ListAsync("rule-1", CancellationToken.None));
        var expired = await ToListAsync(Store.ListExpiredAsync(Now, CancellationToken.None));

        Assert.Equal(["g1", "g2"], ofRule1.Select(s => s.GroupKey).Order());
        Assert.Equal([("rule-1", "g2"), ("rule-2", "g1")], expired.Select(s => (s.RuleId, s.GroupKey)).Order());
    }

    [Fact]
    public async Task Delete_needs_the_current_etag()
    {
        var state = State("rule-1", "g1");
        await Store.TryWriteAsync(state, CancellationToken.None);
        var stale = (await Store.GetAsync("rule-1", "g1", CancellationToken.None))!;
        state.EpisodeMax = 99;
        await Store.TryWriteAsync(state, CancellationToken.None);

        Assert.False(await Store.TryDeleteAsync(stale, CancellationToken.None)); // it changed since the sweep read it
        Assert.True(await Store.TryDeleteAsync(state, CancellationToken.None));
        Assert.Null(await Store.GetAsync("rule-1", "g1", CancellationToken.None));
        Assert.False(await Store.TryDeleteAsync(state, CancellationToken.None));
    }

    private static CorrelationState With(CorrelationState state, DateTimeOffset expiresAt)
    {
        state.ExpiresAt = expiresAt;
        return state;
    }

    private static async Task<List<CorrelationState>> ToListAsync(IAsyncEnumerable<CorrelationState> states)
    {
        var list = new List<CorrelationState>();
        await foreach (var state in states)
        {
            list.Add(state);
        }

        return list;
    }
}

/// <summary>The contract against <see cref="InMemoryCorrelationStateStore"/>.</summary>
public sealed class InMemoryCorrelationStateStoreTests : CorrelationStateStoreContract
{
    protected override ICorrelationStateStore Store { get; } = new InMemoryCorrelationStateStore();
}

/// <summary>The contract against <see cref="TableCorrelationStateStore"/> on Azurite, and the engine's counts on it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableCorrelationStateStoreTests(AzuriteFixture azurite) : CorrelationStateStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("corr");
    private TableCorrelationStateStore? _store;

    protected override ICorrelationStateStore Store => _store ??= new TableCorrelationStateStore(azurite.TableService, _tableName);

    [Fact]
    public async Task Entries_beyond_one_binary_column_are_split_and_joined()
    {
        var state = new CorrelationState
        {
            RuleId = "rule-big",
            GroupKey = "g",
            Entries = Enumerable.Range(0, 6000).Select(i => new CorrelationEntry(i, (ulong)i, (ulong)i, 0)).ToList(),
        };
        Assert.True(await Store.TryWriteAsync(state, CancellationToken.None));

        var entity = (await azurite.TableService.GetTableClient(_tableName).GetEntityAsync<Azure.Data.Tables.TableEntity>("rule-big", "g")).Value;
        Assert.NotNull(entity.GetBinary("Entries2"));
        Assert.Equal(6000, entity.GetInt32("EntryCount"));
        Assert.Equal(state.Entries, (await Store.GetAsync("rule-big", "g", CancellationToken.None))!.Entries);
    }

    [Fact]
    public async Task A_rule_id_the_service_refuses_as_a_key_is_hashed()
    {
        Assert.True(await Store.TryWriteAsync(new CorrelationState { RuleId = "team/rule#1", GroupKey = "g" }, CancellationToken.None));
        Assert.Equal("team/rule#1", (await Store.GetAsync("team/rule#1", "g", CancellationToken.None))!.RuleId);
    }

    [Theory]
    [InlineData(CorrelationConsistency.Delivery.OneBatch)]
    [InlineData(CorrelationConsistency.Delivery.BatchPerEvent)]
    [InlineData(CorrelationConsistency.Delivery.TwoInstances)]
    [InlineData(CorrelationConsistency.Delivery.Restart)]
    public async Task Correlation_counts_are_the_same_however_the_events_are_delivered(CorrelationConsistency.Delivery delivery)
    {
        var store = new TableCorrelationStateStore(azurite.TableService, AzuriteFixture.UniqueTableName("corr"));
        var alerts = await CorrelationConsistency.RunAsync(delivery, store);
        CorrelationConsistency.AssertExpected(alerts);
    }
}
