using System.Diagnostics.Metrics;
using AlertPipeline.Core.Detect.Sigma;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Detect;

/// <summary>How one stored rule is running in this instance.</summary>
public enum RuleRunState
{
    /// <summary>The stored version compiled and runs.</summary>
    Active,

    /// <summary>The row is disabled.</summary>
    Disabled,

    /// <summary>The stored version does not compile; the last version that did keeps running.</summary>
    BrokenRunningPrevious,

    /// <summary>The stored version does not compile and no earlier version ever did: nothing runs.</summary>
    Broken,
}

/// <summary>One stored rule's state in the running pipeline, with the problem when it is broken.</summary>
public sealed record RuleStatus(string Pack, string Id, RuleRunState State, string? ETag, RuleLoadError? Problem);

/// <summary>
/// Serves the current <see cref="RuleSet"/>, refreshing it from the <see cref="IRuleStore"/> when it is older than the
/// refresh interval. Only rows written since the last refresh are read and recompiled (the store's write time, e.g.
/// the Table <c>Timestamp</c>); unchanged rows keep their compiled form. A row that stops compiling is reported (its
/// <see cref="RuleStatus"/>, log event 3004, metric <c>alertpipeline.rules.broken</c>) while the last version of it
/// that compiled keeps running. A store that cannot be read keeps the whole previous set in force: rule changes can
/// never stop ingestion.
/// </summary>
public sealed partial class RuleSetProvider : IDisposable
{
    /// <summary>
    /// How far back each incremental read starts before the latest write seen: Table Timestamps of concurrent writes
    /// can commit slightly out of order, and reading a row twice costs only a comparison of its ETag.
    /// </summary>
    public static readonly TimeSpan ChangeOverlap = TimeSpan.FromSeconds(30);

    private readonly IRuleStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshInterval;
    private readonly SigmaPlaceholders? _placeholders;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly Dictionary<(string Pack, string Id), CachedRule> _cache = [];
    private readonly Meter _meter = new("AlertPipeline.Rules");
    private readonly Counter<long> _compiled;
    private RuleSet? _current;
    private IReadOnlyList<RuleStatus> _statuses = [];
    private DateTimeOffset? _highWater;
    private long _loadedAt;

    /// <summary>Creates a provider.</summary>
    public RuleSetProvider(
        IRuleStore store, TimeSpan refreshInterval, TimeProvider? time = null, ILogger<RuleSetProvider>? logger = null, SigmaPlaceholders? placeholders = null)
    {
        _store = store;
        _refreshInterval = refreshInterval;
        _time = time ?? TimeProvider.System;
        _placeholders = placeholders;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _compiled = _meter.CreateCounter<long>("alertpipeline.rules.compiled", description: "Rule rows compiled because they were new or changed");
        _meter.CreateObservableGauge("alertpipeline.rules.active", () => (long)(Volatile.Read(ref _current)?.Rules.Count + Volatile.Read(ref _current)?.Correlations.Count ?? 0),
            description: "Rules running, correlation rules included");
        _meter.CreateObservableGauge("alertpipeline.rules.broken", () => (long)Volatile.Read(ref _statuses).Count(s => s.State is RuleRunState.Broken or RuleRunState.BrokenRunningPrevious),
            description: "Stored rules whose current version does not compile");
    }

    /// <summary>Every stored rule's state after the latest refresh.</summary>
    public IReadOnlyList<RuleStatus> Statuses => Volatile.Read(ref _statuses);

    /// <summary>The current rule set, refreshing first if it is stale.</summary>
    public async ValueTask<RuleSet> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && _time.GetElapsedTime(Interlocked.Read(ref _loadedAt)) < _refreshInterval)
        {
            return current;
        }

        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = Volatile.Read(ref _current);
            if (current is not null && _time.GetElapsedTime(Interlocked.Read(ref _loadedAt)) < _refreshInterval)
            {
                return current;
            }

            return await ReloadAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task<RuleSet> ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var changes = await _store.ListChangesAsync(_highWater - ChangeOverlap, cancellationToken).ConfigureAwait(false);
            var recompiled = Apply(changes);
            var statuses = new List<RuleStatus>(_cache.Count);
            var active = new List<ActiveRule>();
            var errors = new List<RuleLoadError>();
            foreach (var (key, cached) in _cache.OrderBy(p => p.Key.Pack, StringComparer.Ordinal).ThenBy(p => p.Key.Id, StringComparer.Ordinal))
            {
                statuses.Add(new RuleStatus(key.Pack, key.Id, cached.State, cached.ETag, cached.Problem));
                if (cached.Problem is { } problem)
                {
                    errors.Add(problem);
                }

                if (cached.Running is { } running)
                {
                    active.Add(running);
                }
            }

            var set = RuleSet.Build(active, errors);
            foreach (var linkError in set.Errors.Skip(errors.Count))
            {
                LogRuleCompileFailed(linkError.Pack, linkError.RuleId, linkError.Line, linkError.Column, linkError.Problem);
            }

            if (recompiled > 0 || _current is null)
            {
                LogRulesLoaded(set.Rules.Count + set.Correlations.Count, set.Errors.Count, recompiled);
            }

            Volatile.Write(ref _statuses, statuses);
            Volatile.Write(ref _current, set);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Keep the previous rules rather than run blind; with none yet, run with none and retry next call.
            LogRuleStoreReadFailed(ex);
            if (_current is null)
            {
                return RuleSet.Empty;
            }
        }

        Interlocked.Exchange(ref _loadedAt, _time.GetTimestamp());
        return _current!;
    }

    /// <summary>Folds the changes into the cache, compiling only rows whose ETag is new; returns how many were compiled.</summary>
    private int Apply(RuleChanges changes)
    {
        var compiled = 0;
        foreach (var record in changes.Changed)
        {
            var key = (record.Pack, record.Id);
            _cache.TryGetValue(key, out var cached);
            if (cached is not null && record.ETag is not null && cached.ETag == record.ETag)
            {
                continue; // read again through the overlap, unchanged
            }

            cached ??= new CachedRule();
            cached.ETag = record.ETag;
            _cache[key] = cached;
            if (!record.Enabled)
            {
                // Disabling is an order to stop: no earlier version keeps running.
                cached.LastGood = null;
                cached.Problem = null;
                cached.Enabled = false;
                continue;
            }

            cached.Enabled = true;
            compiled++;
            var (rule, error) = RuleSet.CompileRecord(record, _placeholders);
            if (rule is not null)
            {
                cached.LastGood = rule;
                cached.Problem = null;
                continue;
            }

            cached.Problem = error;
            if (cached.LastGood is not null)
            {
                LogRuleBrokenPreviousRuns(error!.Pack, error.RuleId, error.Line, error.Column, error.Problem);
            }
            else
            {
                LogRuleCompileFailed(error!.Pack, error.RuleId, error.Line, error.Column, error.Problem);
            }
        }

        foreach (var key in _cache.Keys.Where(k => !changes.Keys.Contains(k)).ToList())
        {
            _cache.Remove(key); // deleted from the store
        }

        if (changes.HighWater is { } highWater && (_highWater is null || highWater > _highWater))
        {
            _highWater = highWater;
        }

        _compiled.Add(compiled);
        return compiled;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Rule {Pack}/{RuleId} skipped: line {Line} column {Column}: {Problem}")]
    private partial void LogRuleCompileFailed(string pack, string ruleId, int line, int column, string problem);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Rules loaded: {Count} active, {Failed} failed, {Compiled} rows compiled in this refresh")]
    private partial void LogRulesLoaded(int count, int failed, int compiled);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Rule store could not be read; previous rules stay in force")]
    private partial void LogRuleStoreReadFailed(Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Rule {Pack}/{RuleId} changed but does not compile (line {Line} column {Column}: {Problem}); its previous version keeps running")]
    private partial void LogRuleBrokenPreviousRuns(string pack, string ruleId, int line, int column, string problem);

    /// <summary>One stored row as this instance knows it: the version seen, the last version that compiled, the problem.</summary>
    private sealed class CachedRule
    {
        public string? ETag { get; set; }

        public bool Enabled { get; set; }

        public ActiveRule? LastGood { get; set; }

        public RuleLoadError? Problem { get; set; }

        public ActiveRule? Running => Enabled ? LastGood : null;

        public RuleRunState State => !Enabled ? RuleRunState.Disabled
            : Problem is null ? RuleRunState.Active
            : LastGood is null ? RuleRunState.Broken
            : RuleRunState.BrokenRunningPrevious;
    }
}
