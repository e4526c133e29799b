using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Heartbeat;

/// <summary>
/// Folds an enriched batch into one <see cref="SandboxActivityUpdate"/> per sandbox, so the store sees one write per
/// sandbox per batch, not one per event. Per event it only looks up the sandbox id (a span, against the inventory
/// snapshot, whose id strings become the keys) and compares times: nothing is allocated per event.
/// Only inventory sandboxes are tracked, so telemetry naming made-up ids cannot grow the store.
/// </summary>
public sealed class SandboxActivityAggregator
{
    /// <summary>Formats of network sensors: their events show a sandbox's traffic, not the sandbox's own telemetry.</summary>
    public static readonly IReadOnlySet<string> NetworkSensorFormats = new HashSet<string>(["azure-firewall", "suricata", "zeek"], StringComparer.Ordinal);

    private readonly Dictionary<string, Totals> _bySandbox = new(StringComparer.Ordinal);

    /// <summary>
    /// The updates of <paramref name="batch"/>. <paramref name="messageEnds"/>[m] is the batch's event count after message
    /// <paramref name="messages"/>[m] was ingested, which maps each event to the message (and enqueued time) it came in.
    /// </summary>
    public IReadOnlyList<SandboxActivityUpdate> Aggregate(EventBatch batch, IReadOnlyList<TelemetryMessage> messages, ReadOnlySpan<int> messageEnds, SandboxSnapshot sandboxes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sandboxes);
        _bySandbox.Clear();
        if (sandboxes.Count == 0)
        {
            return [];
        }

        // Pass 1: latest telemetry and network arrival per sandbox.
        Walk(batch, messages, messageEnds, sandboxes, static (ref Totals t, bool network, long ticks) =>
        {
            if (network)
            {
                t.LastNetwork = Math.Max(t.LastNetwork, ticks);
            }
            else
            {
                t.LastTelemetry = Math.Max(t.LastTelemetry, ticks);
            }
        });

        // Pass 2: network events at or after the sandbox's latest telemetry of this batch.
        Walk(batch, messages, messageEnds, sandboxes, static (ref Totals t, bool network, long ticks) =>
        {
            if (network && ticks >= t.LastTelemetry)
            {
                t.NetworkAfter++;
                t.FirstNetworkAfter = t.FirstNetworkAfter == 0 ? ticks : Math.Min(t.FirstNetworkAfter, ticks);
            }
        });

        var updates = new List<SandboxActivityUpdate>(_bySandbox.Count);
        foreach (var (id, t) in _bySandbox)
        {
            updates.Add(new SandboxActivityUpdate(id, Time(t.LastTelemetry), Time(t.LastNetwork), t.NetworkAfter, Time(t.FirstNetworkAfter)));
        }

        return updates;
    }

    private delegate void Fold(ref Totals totals, bool network, long ticks);

    private void Walk(EventBatch batch, IReadOnlyList<TelemetryMessage> messages, ReadOnlySpan<int> messageEnds, SandboxSnapshot sandboxes, Fold fold)
    {
        var message = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            while (message < messageEnds.Length - 1 && i >= messageEnds[message])
            {
                message++;
            }

            if (!batch.Has(i, EcsField.SandboxId) || sandboxes.Find(batch.Get(i, EcsField.SandboxId)) is not { } sandbox)
            {
                continue;
            }

            ref var totals = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_bySandbox, sandbox.Id, out _);
            fold(ref totals, NetworkSensorFormats.Contains(batch.FormatOf(i)), messages[message].EnqueuedTime.UtcTicks);
        }
    }

    private static DateTimeOffset? Time(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private struct Totals
    {
        public long LastTelemetry;
        public long LastNetwork;
        public int NetworkAfter;
        public long FirstNetworkAfter;
    }
}
