namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>
/// Counts sends per scope (a channel) in fixed, UTC-aligned windows, shared by every instance, so an alert flood
/// cannot turn into a thousand emails. Table <c>ratecounters</c> under ETags in Azure, memory in the embedded mode.
/// </summary>
public interface IRateCounter
{
    /// <summary>Takes one place under <paramref name="cap"/> in the window holding <paramref name="at"/>; false when none is left.</summary>
    Task<bool> TryTakeAsync(string scope, DateTimeOffset at, TimeSpan window, int cap, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the rate counter.</summary>
public sealed class InMemoryRateCounter : IRateCounter
{
    private readonly Dictionary<(string, long), int> _counts = [];

    /// <inheritdoc />
    public Task<bool> TryTakeAsync(string scope, DateTimeOffset at, TimeSpan window, int cap, CancellationToken cancellationToken)
    {
        var key = (scope, at.UtcTicks - (at.UtcTicks % Math.Max(1, window.Ticks)));
        lock (_counts)
        {
            _counts.TryGetValue(key, out var count);
            if (count >= cap)
            {
                return Task.FromResult(false);
            }

            _counts[key] = count + 1;
            return Task.FromResult(true);
        }
    }
}
