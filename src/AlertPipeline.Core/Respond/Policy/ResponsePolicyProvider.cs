using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Policy;

/// <summary>How one stored policy entry stands in this instance.</summary>
public enum ResponsePolicyEntryState
{
    /// <summary>The stored version is valid and in force.</summary>
    Active,

    /// <summary>The stored version is not valid; the last valid version this instance read stays in force.</summary>
    BrokenRunningPrevious,

    /// <summary>The stored version is not valid and this instance never read a valid one: the entry is not in force.</summary>
    Broken,
}

/// <summary>One stored entry's state, with its problems when broken.</summary>
/// <param name="Id">The entry id.</param>
/// <param name="State">How it stands.</param>
/// <param name="ETag">The stored version last read.</param>
/// <param name="Problems">Why the stored version is not valid; empty when active.</param>
public sealed record ResponsePolicyEntryStatus(string Id, ResponsePolicyEntryState State, string? ETag, IReadOnlyList<string> Problems);

/// <summary>
/// Serves the current <see cref="ResponsePolicy"/>: the settings-based defaults with the stored entries. Only the first
/// call waits for the store; afterwards a policy older than the refresh interval starts one background reload and the
/// caller goes on with the policy it has, so a slow Table read never holds up a batch. A stored row that is not valid is
/// reported (its <see cref="ResponsePolicyEntryStatus"/>, log event 4031, metric <c>alertpipeline.policy.broken</c>) and
/// the last valid version of that entry read by this instance stays in force. A store that cannot be read keeps the
/// whole previous policy (the defaults alone if none was ever read): a policy problem never stops alerting.
/// </summary>
public sealed partial class ResponsePolicyProvider : IDisposable
{
    private readonly IResponsePolicyStore _store;
    private readonly ResponsePolicy _defaults;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly Dictionary<string, CachedEntry> _cache = new(StringComparer.Ordinal);
    private readonly Meter _meter = new("AlertPipeline.ResponsePolicy");
    private volatile ResponsePolicy? _current;
    private IReadOnlyList<ResponsePolicyEntryStatus> _statuses = [];
    private long _loadedAt;
    private int _refreshing;
    private Task _refresh = Task.CompletedTask;

    /// <summary>Creates a provider over <paramref name="store"/>; <paramref name="defaults"/> decide where no entry matches.</summary>
    public ResponsePolicyProvider(
        IResponsePolicyStore store, ResponsePolicy defaults, TimeSpan refreshInterval, TimeProvider? time = null, ILogger<ResponsePolicyProvider>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(defaults);
        _store = store;
        _defaults = defaults;
        _refreshInterval = refreshInterval;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _meter.CreateObservableGauge("alertpipeline.policy.broken", () => (long)Volatile.Read(ref _statuses).Count(s => s.State != ResponsePolicyEntryState.Active),
            description: "Stored response policy entries whose current version is not valid");
    }

    /// <summary>Every stored entry's state after the latest reload.</summary>
    public IReadOnlyList<ResponsePolicyEntryStatus> Statuses => Volatile.Read(ref _statuses);

    /// <summary>The background reload in flight, if any (tests wait on it).</summary>
    public Task Refreshing => _refresh;

    /// <summary>The current policy; starts a background reload when it is stale.</summary>
    public async ValueTask<ResponsePolicy> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            if (_time.GetElapsedTime(Interlocked.Read(ref _loadedAt)) >= _refreshInterval
                && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            {
                _refresh = Task.Run(ReloadInBackgroundAsync, CancellationToken.None);
            }

            return current;
        }

        return await ReloadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the store now and returns the policy in force afterwards (after a write, or in tests).</summary>
    public async Task<ResponsePolicy> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                Apply(await _store.ListAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPolicyStoreReadFailed(ex);
                _current ??= _defaults;
            }

            Interlocked.Exchange(ref _loadedAt, _time.GetTimestamp());
            return _current!;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _meter.Dispose();
        _reloadGate.Dispose();
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void Apply(IReadOnlyList<ResponsePolicyEntry> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            seen.Add(row.Id);
            _cache.TryGetValue(row.Id, out var cached);
            if (cached is not null && row.ETag is not null && cached.ETag == row.ETag)
            {
                continue; // unchanged since the last read
            }

            cached ??= new CachedEntry();
            cached.ETag = row.ETag;
            _cache[row.Id] = cached;
            var problems = ResponsePolicy.Validate(row);
            if (problems.Count == 0)
            {
                cached.LastGood = row;
                cached.Problems = [];
                continue;
            }

            cached.Problems = problems;
            var detail = string.Join("; ", problems);
            if (cached.LastGood is not null)
            {
                LogEntryBroken(SafeText.Log(row.Id), SafeText.Log(detail), "its previous version stays in force");
            }
            else
            {
                LogEntryBroken(SafeText.Log(row.Id), SafeText.Log(detail), "it is not in force");
            }
        }

        foreach (var id in _cache.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _cache.Remove(id); // deleted from the store
        }

        var statuses = _cache.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new ResponsePolicyEntryStatus(p.Key, p.Value.State, p.Value.ETag, p.Value.Problems))
            .ToList();
        _current = _defaults.WithEntries(_cache.Values.Select(c => c.LastGood).OfType<ResponsePolicyEntry>());
        Volatile.Write(ref _statuses, statuses);
    }

    [LoggerMessage(EventId = 4031, Level = LogLevel.Error, Message = "Response policy entry {Id} is not valid ({Problems}); {Consequence}")]
    private partial void LogEntryBroken(string id, string problems, string consequence);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Error, Message = "Response policy store could not be read; the previous policy stays in force")]
    private partial void LogPolicyStoreReadFailed(Exception exception);

    /// <summary>One stored row as this instance knows it: the version read, the last valid version, the problems.</summary>
    private sealed class CachedEntry
    {
        public string? ETag { get; set; }

        public ResponsePolicyEntry? LastGood { get; set; }

        public IReadOnlyList<string> Problems { get; set; } = [];

        public ResponsePolicyEntryState State => Problems.Count == 0 ? ResponsePolicyEntryState.Active
            : LastGood is null ? ResponsePolicyEntryState.Broken
            : ResponsePolicyEntryState.BrokenRunningPrevious;
    }
}
