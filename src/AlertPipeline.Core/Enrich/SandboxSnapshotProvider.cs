namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Serves a <see cref="SandboxSnapshot"/>. Only the first call waits for the inventory; afterwards a snapshot older than
/// the refresh interval starts one background reload and the batch goes on with the snapshot it has, so a slow Table
/// read never holds up a batch. A failed reload keeps the previous snapshot.
/// </summary>
public sealed class SandboxSnapshotProvider(ISandboxInventory inventory, TimeSpan refreshInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile SandboxSnapshot? _current;
    private long _loadedAt;
    private int _refreshing;
    private Task _refresh = Task.CompletedTask;

    /// <summary>The background reload in flight, if any (tests wait on it).</summary>
    public Task Refreshing => _refresh;

    /// <summary>The current snapshot.</summary>
    public async ValueTask<SandboxSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            if (_time.GetElapsedTime(Interlocked.Read(ref _loadedAt)) >= refreshInterval
                && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
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
                _current = new SandboxSnapshot(await inventory.ListAsync(cancellationToken).ConfigureAwait(false));
                Interlocked.Exchange(ref _loadedAt, _time.GetTimestamp());
            }

            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            _current = new SandboxSnapshot(await inventory.ListAsync(CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception)
        {
            // Keep attributing with the last inventory we had rather than attribute nothing; retried after the interval.
        }
        finally
        {
            Interlocked.Exchange(ref _loadedAt, _time.GetTimestamp());
            Volatile.Write(ref _refreshing, 0);
        }
    }
}
