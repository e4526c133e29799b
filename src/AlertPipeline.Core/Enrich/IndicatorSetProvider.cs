namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Serves an <see cref="IndicatorSet"/>, as <see cref="SandboxSnapshotProvider"/> serves the inventory: only the first
/// call waits for the store; afterwards a set older than the refresh interval, or one holding an indicator that has
/// expired since, starts one background rebuild and the batch goes on with the set it has, so a slow Table read (100k
/// rows) never holds up a batch. A failed reload keeps the previous set.
/// </summary>
public sealed class IndicatorSetProvider(IIndicatorStore store, TimeSpan refreshInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IndicatorSet? _current;
    private long _loadedAt;
    private long _attemptedAtUtcTicks;
    private int _refreshing;
    private Task _refresh = Task.CompletedTask;

    /// <summary>The background reload in flight, if any (tests wait on it).</summary>
    public Task Refreshing => _refresh;

    /// <summary>The current set.</summary>
    public async ValueTask<IndicatorSet> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            var stale = _time.GetElapsedTime(Interlocked.Read(ref _loadedAt)) >= refreshInterval
                || (current.NextExpiry is { } expiry && _time.GetUtcNow() >= expiry && Interlocked.Read(ref _attemptedAtUtcTicks) < expiry.UtcTicks);
            if (stale && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            {
                _refresh = Task.Run(ReloadInBackgroundAsync, CancellationToken.None);
            }

            return current;
        }

        // Nothing to serve yet: the first batch waits for the first read (and fails, to be retried, if it fails).
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is null)
            {
                _current = await LoadAsync(cancellationToken).ConfigureAwait(false);
                MarkLoaded();
            }

            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IndicatorSet> LoadAsync(CancellationToken cancellationToken)
    {
        // The expiry check compares with the time of the last attempt, so a failing store is retried after the interval,
        // not on every batch.
        var now = _time.GetUtcNow();
        Interlocked.Exchange(ref _attemptedAtUtcTicks, now.UtcTicks);
        return new IndicatorSet(await store.ListAsync(now, cancellationToken).ConfigureAwait(false), now);
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            _current = await LoadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Keep matching with the last indicators we had rather than match nothing; retried after the interval.
        }
        finally
        {
            MarkLoaded();
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void MarkLoaded() => Interlocked.Exchange(ref _loadedAt, _time.GetTimestamp());
}
