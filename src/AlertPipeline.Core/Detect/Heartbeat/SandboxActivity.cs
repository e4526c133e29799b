namespace AlertPipeline.Core.Detect.Heartbeat;

/// <summary>
/// What the heartbeat check knows of one sandbox: when its own telemetry last arrived and when the network sensors
/// (firewall, Suricata, Zeek) last saw traffic attributed to it. Times are the hub's enqueued times, which the
/// monitored agent cannot forge (its own <c>@timestamp</c> it can).
/// </summary>
/// <param name="SandboxId">The sandbox (an inventory id).</param>
/// <param name="LastTelemetry">Latest arrival of the sandbox's own telemetry, or null if none was ever seen.</param>
/// <param name="LastNetwork">Latest arrival of a network sensor event attributed to it, or null.</param>
/// <param name="NetworkSinceTelemetry">Network sensor events counted since <paramref name="LastTelemetry"/> (approximate: batches are counted whole).</param>
/// <param name="NetworkSince">Earliest network event arrival after <paramref name="LastTelemetry"/>, or null when none.</param>
public sealed record SandboxActivity(string SandboxId, DateTimeOffset? LastTelemetry, DateTimeOffset? LastNetwork, long NetworkSinceTelemetry, DateTimeOffset? NetworkSince)
{
    /// <summary>
    /// <paramref name="old"/> (null for a sandbox not seen before) with one batch's <paramref name="update"/> applied.
    /// Every store merges with this, so the in-memory and Table twins agree. Telemetry newer than the stored one starts
    /// the count again from the network events the batch saw after it.
    /// </summary>
    public static SandboxActivity Merge(SandboxActivity? old, SandboxActivityUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var lastNetwork = Max(old?.LastNetwork, update.LastNetwork);
        if (old is null || (update.LastTelemetry is { } t && (old.LastTelemetry is null || t > old.LastTelemetry)))
        {
            return new SandboxActivity(update.SandboxId, update.LastTelemetry ?? old?.LastTelemetry, lastNetwork,
                update.NetworkAfterTelemetry, update.FirstNetworkAfterTelemetry);
        }

        // Telemetry not newer: add the batch's network events that can lie after the stored telemetry.
        if (update.LastNetwork is not { } network || (old.LastTelemetry is { } last && network <= last))
        {
            return old with { LastNetwork = lastNetwork };
        }

        var first = update.FirstNetworkAfterTelemetry is { } f && (old.LastTelemetry is null || f > old.LastTelemetry) ? f : network;
        return old with
        {
            LastNetwork = lastNetwork,
            NetworkSinceTelemetry = old.NetworkSinceTelemetry + update.NetworkAfterTelemetry,
            NetworkSince = Min(old.NetworkSince, first),
        };
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}

/// <summary>One batch's activity of one sandbox: the one update the pipeline writes per sandbox per batch.</summary>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="LastTelemetry">Latest arrival of its own telemetry in the batch, or null.</param>
/// <param name="LastNetwork">Latest arrival of a network sensor event attributed to it, or null.</param>
/// <param name="NetworkAfterTelemetry">Network events at or after <paramref name="LastTelemetry"/> (all of them when null).</param>
/// <param name="FirstNetworkAfterTelemetry">Earliest of those, or null.</param>
public sealed record SandboxActivityUpdate(string SandboxId, DateTimeOffset? LastTelemetry, DateTimeOffset? LastNetwork, int NetworkAfterTelemetry, DateTimeOffset? FirstNetworkAfterTelemetry);

/// <summary>Per-sandbox activity for the heartbeat check (Table <c>heartbeats</c> in Azure).</summary>
public interface ISandboxActivityStore
{
    /// <summary>Merges each update into its sandbox's entry with <see cref="SandboxActivity.Merge"/>.</summary>
    Task RecordAsync(IReadOnlyList<SandboxActivityUpdate> updates, CancellationToken cancellationToken);

    /// <summary>Every sandbox's entry.</summary>
    Task<IReadOnlyList<SandboxActivity>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the activity store.</summary>
public sealed class InMemorySandboxActivityStore : ISandboxActivityStore
{
    private readonly Dictionary<string, SandboxActivity> _items = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task RecordAsync(IReadOnlyList<SandboxActivityUpdate> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        lock (_items)
        {
            foreach (var update in updates)
            {
                _items[update.SandboxId] = SandboxActivity.Merge(_items.GetValueOrDefault(update.SandboxId), update);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SandboxActivity>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_items)
        {
            return Task.FromResult<IReadOnlyList<SandboxActivity>>([.. _items.Values.OrderBy(a => a.SandboxId, StringComparer.Ordinal)]);
        }
    }
}
