using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Detect;

/// <summary>
/// Serves the current <see cref="RuleSet"/>, reloading it from the <see cref="IRuleStore"/> when it is older
/// than the refresh interval. A store that cannot be read keeps the previous set in force, and a rule that
/// does not compile is skipped and logged: rule changes can never stop ingestion.
/// </summary>
public sealed partial class RuleSetProvider
{
    private readonly IRuleStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshInterval;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private RuleSet? _current;
    private long _loadedAt;

    /// <summary>Creates a provider.</summary>
    public RuleSetProvider(IRuleStore store, TimeSpan refreshInterval, TimeProvider? time = null, ILogger<RuleSetProvider>? logger = null)
    {
        _store = store;
        _refreshInterval = refreshInterval;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The current rule set, reloading first if it is stale.</summary>
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

    private async Task<RuleSet> ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var records = await _store.ListAsync(null, cancellationToken).ConfigureAwait(false);
            var set = RuleSet.Compile(records);
            foreach (var error in set.Errors)
            {
                LogRuleCompileFailed(error.Pack, error.RuleId, error.Line, error.Column, error.Problem);
            }

            LogRulesLoaded(set.Rules.Count, set.Errors.Count);
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

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Rule {Pack}/{RuleId} skipped: line {Line} column {Column}: {Problem}")]
    private partial void LogRuleCompileFailed(string pack, string ruleId, int line, int column, string problem);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Rules loaded: {Count} active, {Failed} failed to compile")]
    private partial void LogRulesLoaded(int count, int failed);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Rule store could not be read; previous rules stay in force")]
    private partial void LogRuleStoreReadFailed(Exception exception);
}
