using AlertPipeline.Core.Detect;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Detect;

public sealed class RuleSetProviderTests
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 0, 0, TimeSpan.Zero));
    private readonly FlakyRuleStore _store = new();

    private static RuleRecord Rule(string id, string port) => new("default", id, "t", "high", true, RuleMode.Enforce, $"""
        title: Port {port}
        id: {id}
        logsource:
          category: network_connection
        detection:
          selection:
            destination.port: {port}
          condition: selection
        level: high
        """, DateTimeOffset.UnixEpoch);

    private static RuleRecord Broken(string id) => new("default", id, "t", "high", true, RuleMode.Enforce, "title: x\nid: " + id + "\ndetection: [", DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task A_row_that_does_not_compile_is_reported_and_the_others_run()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        await _store.UpsertAsync(Broken("b"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);

        var set = await provider.GetAsync(CancellationToken.None);

        Assert.Equal("a", Assert.Single(set.Rules).Rule.Id);
        Assert.Equal("b", Assert.Single(set.Errors).RuleId);
    }

    [Fact]
    public async Task Changes_are_picked_up_after_the_refresh_interval_not_before()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);
        Assert.Single((await provider.GetAsync(CancellationToken.None)).Rules);

        await _store.UpsertAsync(Rule("c", "4444"), CancellationToken.None);
        _time.Advance(Refresh - TimeSpan.FromSeconds(1));
        Assert.Single((await provider.GetAsync(CancellationToken.None)).Rules);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, (await provider.GetAsync(CancellationToken.None)).Rules.Count);
        Assert.Equal(2, _store.Reads);
    }

    [Fact]
    public async Task An_unreadable_store_keeps_the_previous_rules_in_force()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);
        var loaded = await provider.GetAsync(CancellationToken.None);

        _store.Down = true;
        _time.Advance(Refresh * 2);
        Assert.Same(loaded, await provider.GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task With_nothing_loaded_yet_an_unreadable_store_is_retried_on_the_next_call()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);
        _store.Down = true;
        Assert.Empty((await provider.GetAsync(CancellationToken.None)).Rules);

        _store.Down = false;
        Assert.Single((await provider.GetAsync(CancellationToken.None)).Rules);
    }

    [Fact]
    public async Task A_row_that_stops_compiling_is_reported_while_its_previous_version_keeps_running()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);
        var first = Assert.Single((await provider.GetAsync(CancellationToken.None)).Rules).Rule;

        await _store.UpsertAsync(Broken("a"), CancellationToken.None);
        _time.Advance(Refresh);
        var set = await provider.GetAsync(CancellationToken.None);

        Assert.Same(first, Assert.Single(set.Rules).Rule); // port 3333 is still watched
        Assert.Equal("a", Assert.Single(set.Errors).RuleId);
        var status = Assert.Single(provider.Statuses);
        Assert.Equal(RuleRunState.BrokenRunningPrevious, status.State);
        Assert.Contains("invalid YAML", status.Problem!.Problem, StringComparison.Ordinal);

        // Fixed: the new version runs and the report clears.
        await _store.UpsertAsync(Rule("a", "4444"), CancellationToken.None);
        _time.Advance(Refresh);
        set = await provider.GetAsync(CancellationToken.None);
        Assert.Equal("Port 4444", Assert.Single(set.Rules).Rule.Title);
        Assert.Empty(set.Errors);
        Assert.Equal(RuleRunState.Active, Assert.Single(provider.Statuses).State);
    }

    [Fact]
    public async Task A_new_row_that_never_compiled_runs_nothing_and_says_so()
    {
        await _store.UpsertAsync(Broken("b"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);

        Assert.Empty((await provider.GetAsync(CancellationToken.None)).Rules);
        Assert.Equal(RuleRunState.Broken, Assert.Single(provider.Statuses).State);
    }

    [Fact]
    public async Task Only_changed_rows_are_recompiled_and_disabled_or_deleted_rows_stop()
    {
        await _store.UpsertAsync(Rule("a", "3333"), CancellationToken.None);
        await _store.UpsertAsync(Rule("b", "4444"), CancellationToken.None);
        await _store.UpsertAsync(Rule("c", "5555"), CancellationToken.None);
        var provider = new RuleSetProvider(_store, Refresh, _time);
        var before = (await provider.GetAsync(CancellationToken.None)).Rules.ToDictionary(r => r.Rule.Id, r => r.Rule);

        await _store.UpsertAsync(Rule("a", "3334"), CancellationToken.None);
        await _store.UpsertAsync(Rule("b", "4444") with { Enabled = false }, CancellationToken.None);
        _time.Advance(Refresh);
        var after = (await provider.GetAsync(CancellationToken.None)).Rules.ToDictionary(r => r.Rule.Id, r => r.Rule);

        Assert.Equal(["a", "c"], after.Keys.Order(StringComparer.Ordinal));
        Assert.NotSame(before["a"], after["a"]); // recompiled
        Assert.Same(before["c"], after["c"]); // untouched row, same compiled rule
        Assert.Equal(RuleRunState.Disabled, provider.Statuses.Single(s => s.Id == "b").State);

        await _store.DeleteAsync("default", "c", CancellationToken.None);
        _time.Advance(Refresh);
        Assert.Equal("a", Assert.Single((await provider.GetAsync(CancellationToken.None)).Rules).Rule.Id);
        Assert.DoesNotContain(provider.Statuses, s => s.Id == "c");
    }

    private sealed class FlakyRuleStore : IRuleStore
    {
        private readonly InMemoryRuleStore _inner = new();

        public bool Down { get; set; }

        public int Reads { get; private set; }

        public Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken)
        {
            Reads++;
            return Down ? throw new IOException("table unreachable") : _inner.ListAsync(pack, cancellationToken);
        }

        public Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken) => _inner.GetAsync(pack, id, cancellationToken);

        public Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken) => _inner.UpsertAsync(rule, cancellationToken);

        public Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken) => _inner.DeleteAsync(pack, id, cancellationToken);

        public Task<RuleWriteResult> CreateAsync(RuleRecord rule, CancellationToken cancellationToken) => _inner.CreateAsync(rule, cancellationToken);

        public Task<RuleWriteResult> ReplaceAsync(RuleRecord rule, string ifMatch, CancellationToken cancellationToken) => _inner.ReplaceAsync(rule, ifMatch, cancellationToken);

        public Task<RuleWriteResult> DeleteAsync(string pack, string id, string ifMatch, CancellationToken cancellationToken) => _inner.DeleteAsync(pack, id, ifMatch, cancellationToken);
    }
}
