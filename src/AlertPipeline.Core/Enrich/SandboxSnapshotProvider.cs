namespace AlertPipeline.Core.Enrich;

/// <summary>Serves a <see cref="SandboxSnapshot"/>, reloaded when older than the refresh interval; a failed read keeps the previous one.</summary>
public sealed class SandboxSnapshotProvider(ISandboxInventory inventory, TimeSpan refreshInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SandboxSnapshot? _current;
    private long _loadedAt;

    /// <summary>The current snapshot.</summary>
    public async ValueTask<SandboxSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } fresh && _time.GetElapsedTime(_loadedAt) < refreshInterval)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && _time.GetElapsedTime(_loadedAt) < refreshInterval)
            {
                return again;
            }

            try
            {
                _current = new SandboxSnapshot(await inventory.ListAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception) when (_current is not null && !cancellationToken.IsCancellationRequested)
            {
                // Keep attributing with the last inventory we had rather than attribute nothing.
            }

            _loadedAt = _time.GetTimestamp();
            return _current ??= SandboxSnapshot.Empty;
        }
        finally
        {
            _gate.Release();
        }
    }
}
