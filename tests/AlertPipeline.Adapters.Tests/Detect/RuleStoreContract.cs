using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;

namespace AlertPipeline.Adapters.Tests.Detect;

/// <summary>What every <see cref="IRuleStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class RuleStoreContract
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract IRuleStore Store { get; }

    private static RuleRecord Rule(string pack, string id, RuleMode mode = RuleMode.Enforce, bool enabled = true) => new(
        pack, id, $"Title of {id}", "high", enabled, mode,
        $"title: Title of {id}\nid: {id}\ndetection:\n  sel:\n    process.name: 'curl — ünïcode'\n  condition: sel\n", Now);

    [Fact]
    public async Task Upsert_then_get_round_trips_every_field_with_an_etag()
    {
        var rule = Rule("core", "5f0c1a2b-0000-4000-8000-000000000001", RuleMode.DryRun, enabled: false);

        var stored = await Store.UpsertAsync(rule, CancellationToken.None);
        var read = await Store.GetAsync("core", rule.Id, CancellationToken.None);

        Assert.False(string.IsNullOrEmpty(stored.ETag));
        Assert.NotNull(read);
        Assert.Equal(stored, read);
        Assert.Equal(rule with { ETag = stored.ETag }, read);
    }

    [Fact]
    public async Task Get_of_a_missing_rule_is_null()
    {
        Assert.Null(await Store.GetAsync("core", "nope", CancellationToken.None));
    }

    [Fact]
    public async Task Upsert_replaces_and_changes_the_etag()
    {
        var first = await Store.UpsertAsync(Rule("core", "r1"), CancellationToken.None);
        var second = await Store.UpsertAsync(Rule("core", "r1") with { Title = "Renamed", Mode = RuleMode.DryRun }, CancellationToken.None);

        var read = await Store.GetAsync("core", "r1", CancellationToken.None);

        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal("Renamed", read!.Title);
        Assert.Equal(RuleMode.DryRun, read.Mode);
        Assert.Equal(second.ETag, read.ETag);
    }

    [Fact]
    public async Task List_filters_by_pack_and_orders_by_pack_then_id()
    {
        foreach (var (pack, id) in new[] { ("zeta", "b"), ("alpha", "b"), ("zeta", "a"), ("alpha", "a") })
        {
            await Store.UpsertAsync(Rule(pack, id), CancellationToken.None);
        }

        var all = await Store.ListAsync(null, CancellationToken.None);
        var zeta = await Store.ListAsync("zeta", CancellationToken.None);
        var none = await Store.ListAsync("missing", CancellationToken.None);

        Assert.Equal(["alpha/a", "alpha/b", "zeta/a", "zeta/b"], all.Select(r => $"{r.Pack}/{r.Id}"));
        Assert.Equal(["a", "b"], zeta.Select(r => r.Id));
        Assert.All(all, r => Assert.False(string.IsNullOrEmpty(r.ETag)));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Delete_is_true_once_then_false()
    {
        await Store.UpsertAsync(Rule("core", "r1"), CancellationToken.None);

        Assert.True(await Store.DeleteAsync("core", "r1", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("core", "r1", CancellationToken.None));
        Assert.Null(await Store.GetAsync("core", "r1", CancellationToken.None));
    }

    [Fact]
    public async Task Create_stores_a_new_rule_and_refuses_a_taken_key_without_writing()
    {
        var created = await Store.CreateAsync(Rule("core", "r1"), CancellationToken.None);
        var again = await Store.CreateAsync(Rule("core", "r1") with { Title = "Second operator" }, CancellationToken.None);

        Assert.Equal(RuleWriteOutcome.Written, created.Outcome);
        Assert.False(string.IsNullOrEmpty(created.Rule!.ETag));
        Assert.Equal(RuleWriteOutcome.AlreadyExists, again.Outcome);
        Assert.Null(again.Rule);
        var read = await Store.GetAsync("core", "r1", CancellationToken.None);
        Assert.Equal(created.Rule, read);
    }

    [Fact]
    public async Task Replace_with_the_current_etag_writes_and_gives_a_new_etag()
    {
        var first = (await Store.CreateAsync(Rule("core", "r1"), CancellationToken.None)).Rule!;

        var replaced = await Store.ReplaceAsync(first with { Mode = RuleMode.DryRun, Enabled = false }, first.ETag!, CancellationToken.None);

        Assert.Equal(RuleWriteOutcome.Written, replaced.Outcome);
        Assert.NotEqual(first.ETag, replaced.Rule!.ETag);
        var read = await Store.GetAsync("core", "r1", CancellationToken.None);
        Assert.Equal(replaced.Rule, read);
        Assert.Equal(RuleMode.DryRun, read!.Mode);
        Assert.False(read.Enabled);
    }

    [Fact]
    public async Task Two_operators_editing_the_same_read_the_second_is_stale_and_nothing_of_it_is_written()
    {
        var read = (await Store.CreateAsync(Rule("core", "r1"), CancellationToken.None)).Rule!;

        var alice = await Store.ReplaceAsync(read with { Title = "Alice" }, read.ETag!, CancellationToken.None);
        var bob = await Store.ReplaceAsync(read with { Title = "Bob" }, read.ETag!, CancellationToken.None);

        Assert.Equal(RuleWriteOutcome.Written, alice.Outcome);
        Assert.Equal(RuleWriteOutcome.Stale, bob.Outcome);
        Assert.Null(bob.Rule);
        Assert.Equal(alice.Rule, await Store.GetAsync("core", "r1", CancellationToken.None));
    }

    [Fact]
    public async Task Replace_of_a_missing_rule_is_not_found_and_creates_nothing()
    {
        var stored = await Store.UpsertAsync(Rule("core", "r1"), CancellationToken.None);

        var result = await Store.ReplaceAsync(Rule("core", "r2"), stored.ETag!, CancellationToken.None);

        Assert.Equal(RuleWriteOutcome.NotFound, result.Outcome);
        Assert.Null(await Store.GetAsync("core", "r2", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_if_match_removes_only_the_version_read()
    {
        var read = await Store.UpsertAsync(Rule("core", "r1"), CancellationToken.None);
        var changed = await Store.UpsertAsync(Rule("core", "r1") with { Title = "Changed" }, CancellationToken.None);

        var stale = await Store.DeleteAsync("core", "r1", read.ETag!, CancellationToken.None);
        Assert.Equal(RuleWriteOutcome.Stale, stale.Outcome);
        Assert.Equal("Changed", (await Store.GetAsync("core", "r1", CancellationToken.None))!.Title);

        var deleted = await Store.DeleteAsync("core", "r1", changed.ETag!, CancellationToken.None);
        Assert.Equal(RuleWriteOutcome.Written, deleted.Outcome);
        Assert.Null(await Store.GetAsync("core", "r1", CancellationToken.None));

        var gone = await Store.DeleteAsync("core", "r1", changed.ETag!, CancellationToken.None);
        Assert.Equal(RuleWriteOutcome.NotFound, gone.Outcome);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("")]
    [InlineData(" ")]
    public async Task A_wildcard_or_empty_etag_is_refused_rather_than_writing_unconditionally(string ifMatch)
    {
        var stored = await Store.UpsertAsync(Rule("core", "r1"), CancellationToken.None);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.ReplaceAsync(stored with { Title = "Blind" }, ifMatch, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync("core", "r1", ifMatch, CancellationToken.None));

        Assert.Equal(stored, await Store.GetAsync("core", "r1", CancellationToken.None));
    }

    [Fact]
    public async Task Changes_since_a_time_hold_every_row_written_since_and_every_key()
    {
        await Store.UpsertAsync(Rule("core", "old"), CancellationToken.None);
        var first = await Store.ListChangesAsync(null, CancellationToken.None);
        Assert.Equal([("core", "old")], first.Changed.Select(r => (r.Pack, r.Id)));

        await Store.UpsertAsync(Rule("core", "new"), CancellationToken.None);
        await Store.DeleteAsync("core", "old", CancellationToken.None);
        await Store.UpsertAsync(Rule("core", "kept"), CancellationToken.None);
        var next = await Store.ListChangesAsync(first.HighWater, CancellationToken.None);

        // A store may return more than what changed (the in-memory one returns everything), never less.
        Assert.Contains(next.Changed, r => r.Id == "new");
        Assert.Contains(next.Changed, r => r.Id == "kept");
        Assert.Equal(new HashSet<(string, string)> { ("core", "new"), ("core", "kept") }, next.Keys);
    }
}

/// <summary>The contract against <see cref="InMemoryRuleStore"/>.</summary>
public sealed class InMemoryRuleStoreTests : RuleStoreContract
{
    protected override IRuleStore Store { get; } = new InMemoryRuleStore();
}

/// <summary>The contract against <see cref="TableRuleStore"/> on Azurite, plus what only the table form has.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableRuleStoreTests(AzuriteFixture azurite) : RuleStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("rules");
    private TableRuleStore? _store;

    protected override IRuleStore Store => _store ??= new TableRuleStore(azurite.TableService, _tableName);

    [Fact]
    public async Task Changes_are_read_by_the_services_Timestamp_so_an_untouched_row_is_not_read_again()
    {
        await Store.UpsertAsync(new RuleRecord("core", "a", "T", "high", true, RuleMode.Enforce, "yaml-a", DateTimeOffset.UnixEpoch), CancellationToken.None);
        var first = await Store.ListChangesAsync(null, CancellationToken.None);
        await Task.Delay(1100); // Azurite's Timestamp has whole-second precision at worst; the next write must be later
        await Store.UpsertAsync(new RuleRecord("core", "b", "T", "high", true, RuleMode.Enforce, "yaml-b", DateTimeOffset.UnixEpoch), CancellationToken.None);

        var next = await Store.ListChangesAsync(first.HighWater!.Value.AddMilliseconds(1), CancellationToken.None);

        Assert.Equal(["b"], next.Changed.Select(r => r.Id));
        Assert.Equal(2, next.Keys.Count);
        Assert.True(next.HighWater > first.HighWater);
    }

    [Fact]
    public async Task A_hot_reload_over_the_table_recompiles_only_the_changed_row()
    {
        static RuleRecord Port(string id, int port) => new("core", id, "T", "high", true, RuleMode.Enforce,
            $"title: Port {port}\nid: {id}\nlogsource:\n  category: network_connection\ndetection:\n  sel:\n    destination.port: {port}\n  condition: sel\n", DateTimeOffset.UnixEpoch);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await Store.UpsertAsync(Port("a", 22), CancellationToken.None);
        await Store.UpsertAsync(Port("b", 3333), CancellationToken.None);
        var provider = new RuleSetProvider(Store, TimeSpan.FromSeconds(10), time);
        var before = (await provider.GetAsync(CancellationToken.None)).Rules.ToDictionary(r => r.Rule.Id, r => r.Rule);

        await Store.UpsertAsync(Port("b", 4444), CancellationToken.None);
        await Store.UpsertAsync(new RuleRecord("core", "c", "T", "high", true, RuleMode.Enforce, "title: [broken", DateTimeOffset.UnixEpoch), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(10));
        var after = (await provider.GetAsync(CancellationToken.None)).Rules.ToDictionary(r => r.Rule.Id, r => r.Rule);

        Assert.Same(before["a"], after["a"]);
        Assert.Equal("Port 4444", after["b"].Title);
        Assert.Equal(RuleRunState.Broken, provider.Statuses.Single(s => s.Id == "c").State);
    }

    [Fact]
    public async Task Stores_the_documented_columns()
    {
        await Store.UpsertAsync(new RuleRecord("core", "r1", "T", "critical", true, RuleMode.DryRun, "yaml", DateTimeOffset.UnixEpoch), CancellationToken.None);

        var entity = (await azurite.TableService.GetTableClient(_tableName).GetEntityAsync<Azure.Data.Tables.TableEntity>("core", "r1")).Value;

        Assert.Equal("T", entity.GetString("Title"));
        Assert.Equal("critical", entity.GetString("Level"));
        Assert.True(entity.GetBoolean("Enabled"));
        Assert.Equal("dry-run", entity.GetString("Mode"));
        Assert.Equal("yaml", entity.GetString("Yaml"));
        Assert.Equal(DateTimeOffset.UnixEpoch, entity.GetDateTimeOffset("UpdatedAt"));
    }

    [Fact]
    public async Task Keys_the_service_would_reject_fail_with_a_clear_argument_error()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.UpsertAsync(new RuleRecord("core", "a/b", "T", "low", true, RuleMode.Enforce, "y", DateTimeOffset.UnixEpoch), CancellationToken.None));

        Assert.Contains("a/b", error.Message, StringComparison.Ordinal);
    }
}
