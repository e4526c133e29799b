using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Policy;

public sealed class ResponsePolicyProviderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));
    private readonly InMemoryResponsePolicyStore _store = new();

    private static ResponsePolicyEntry Research(string shutdown) => new()
    {
        Id = "research-critical", Level = "critical", Team = "research", Channels = ["email", "shutdown"], Shutdown = shutdown,
    };

    private ResponsePolicyProvider Provider() => new(_store, ResponsePolicy.Default, TimeSpan.FromMinutes(1), _time);

    [Fact]
    public async Task Stored_entries_apply_over_the_settings_default()
    {
        await _store.PutAsync(Research("approval"), CancellationToken.None);
        using var provider = Provider();

        var policy = await provider.GetAsync(CancellationToken.None);

        Assert.Equal(ShutdownMode.Approval, policy.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);
        Assert.Equal(["email", "teams", "shutdown"], policy.Resolve(AlertLevel.Critical, "r", "evals", null).Channels);
        Assert.Equal(ResponsePolicyEntryState.Active, Assert.Single(provider.Statuses).State);
    }

    [Fact]
    public async Task A_bad_row_is_reported_and_the_previous_version_of_that_entry_stays_in_force()
    {
        await _store.PutAsync(Research("approval"), CancellationToken.None);
        using var provider = Provider();
        await provider.GetAsync(CancellationToken.None);

        // Someone edits the row by hand in the table: a mode that does not exist.
        _store.PutUnchecked(Research("whenever"));
        var policy = await provider.ReloadAsync(CancellationToken.None);

        Assert.Equal(ShutdownMode.Approval, policy.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);
        var status = Assert.Single(provider.Statuses);
        Assert.Equal(ResponsePolicyEntryState.BrokenRunningPrevious, status.State);
        Assert.Contains(status.Problems, p => p.Contains("shutdown 'whenever'", StringComparison.Ordinal));

        // Fixing the row puts the new version in force.
        await _store.PutAsync(Research("off"), CancellationToken.None);
        policy = await provider.ReloadAsync(CancellationToken.None);
        Assert.Equal(ShutdownMode.Off, policy.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);
        Assert.Equal(ResponsePolicyEntryState.Active, Assert.Single(provider.Statuses).State);
    }

    [Fact]
    public async Task A_bad_row_never_seen_valid_is_not_in_force_and_the_rest_is()
    {
        _store.PutUnchecked(Research("approval") with { Level = "severe" });
        await _store.PutAsync(new ResponsePolicyEntry { Id = "evals", Level = "critical", Team = "evals", Channels = ["teams"] }, CancellationToken.None);
        using var provider = Provider();

        var policy = await provider.GetAsync(CancellationToken.None);

        Assert.Null(policy.Resolve(AlertLevel.Critical, "r", "research", null).EntryId);
        Assert.Equal("evals", policy.Resolve(AlertLevel.Critical, "r", "evals", null).EntryId);
        Assert.Equal(ResponsePolicyEntryState.Broken, provider.Statuses.Single(s => s.Id == "research-critical").State);
    }

    [Fact]
    public async Task A_deleted_entry_leaves_force()
    {
        await _store.PutAsync(Research("off"), CancellationToken.None);
        using var provider = Provider();
        await provider.GetAsync(CancellationToken.None);

        await _store.DeleteAsync("research-critical", CancellationToken.None);
        var policy = await provider.ReloadAsync(CancellationToken.None);

        Assert.Equal(ShutdownMode.Automatic, policy.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);
        Assert.Empty(provider.Statuses);
    }

    [Fact]
    public async Task A_stale_policy_is_served_while_it_reloads_in_the_background()
    {
        using var provider = Provider();
        var first = await provider.GetAsync(CancellationToken.None);
        await _store.PutAsync(Research("off"), CancellationToken.None);

        Assert.Same(first, await provider.GetAsync(CancellationToken.None)); // fresh: no read
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Same(first, await provider.GetAsync(CancellationToken.None)); // stale: served, reload started
        await provider.Refreshing;

        var reloaded = await provider.GetAsync(CancellationToken.None);
        Assert.Equal(ShutdownMode.Off, reloaded.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);
    }

    [Fact]
    public async Task A_store_that_cannot_be_read_keeps_the_previous_policy_or_the_defaults()
    {
        var failing = new FailingStore();
        using var provider = new ResponsePolicyProvider(failing, ResponsePolicy.Default, TimeSpan.FromMinutes(1), _time);

        Assert.Same(ResponsePolicy.Default, await provider.GetAsync(CancellationToken.None));

        failing.Fail = false;
        var loaded = await provider.ReloadAsync(CancellationToken.None);
        Assert.Equal("x", loaded.Resolve(AlertLevel.Low, null, null, null).EntryId);

        failing.Fail = true;
        Assert.Same(loaded, await provider.ReloadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Stores_refuse_an_invalid_entry_with_every_problem()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(
            new ResponsePolicyEntry { Id = "x", Level = "severe", Channels = ["pager"] }, CancellationToken.None));

        Assert.Contains("level 'severe'", error.Message, StringComparison.Ordinal);
        Assert.Contains("channel 'pager'", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_bad_row_is_logged_once_per_version_naming_the_entry_and_the_consequence()
    {
        var logger = new RecordingLogger();
        await _store.PutAsync(Research("approval"), CancellationToken.None);
        using var provider = new ResponsePolicyProvider(_store, ResponsePolicy.Default, TimeSpan.FromMinutes(1), _time, logger);
        await provider.GetAsync(CancellationToken.None);

        _store.PutUnchecked(Research("approval") with { Channels = ["email", "pager\r\nforged line"] });
        await provider.ReloadAsync(CancellationToken.None);
        await provider.ReloadAsync(CancellationToken.None); // the same broken version: not logged again

        var (level, eventId, message) = Assert.Single(logger.Entries);
        Assert.Equal((LogLevel.Error, 4031), (level, eventId));
        Assert.Contains("research-critical", message, StringComparison.Ordinal);
        Assert.Contains("previous version stays in force", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    private sealed class RecordingLogger : ILogger<ResponsePolicyProvider>
    {
        public List<(LogLevel Level, int EventId, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
    }

    private sealed class FailingStore : IResponsePolicyStore
    {
        public bool Fail { get; set; } = true;

        public Task<IReadOnlyList<ResponsePolicyEntry>> ListAsync(CancellationToken cancellationToken)
            => Fail ? throw new IOException("storage down")
                : Task.FromResult<IReadOnlyList<ResponsePolicyEntry>>([new ResponsePolicyEntry { Id = "x", Level = "low", Channels = ["teams"] }]);

        public Task<ResponsePolicyEntry> PutAsync(ResponsePolicyEntry entry, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
