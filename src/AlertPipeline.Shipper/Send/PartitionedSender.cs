namespace AlertPipeline.Shipper.Send;

/// <summary>
/// Sends a sequence of events that mixes partition keys: each key's events go in their order through one
/// <see cref="IEventSender.SendAsync"/> call (so they can share batches), keys in order of first appearance.
/// Records which events were settled, so a failure in the middle re-sends only the rest; stops at the first failure
/// (an unreachable hub fails every key alike). Keeps the totals per partition key.
/// </summary>
public sealed class PartitionedSender(IEventSender sender)
{
    private readonly Dictionary<string, List<int>> _groups = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<OutgoingEvent> _scratch = [];

    /// <summary>Totals so far.</summary>
    public SendTotals Totals { get; } = new();

    /// <summary>Called for each event skipped because it is larger than a batch can be.</summary>
    public Action<OutgoingEvent>? OnOversized { get; set; }

    /// <summary>
    /// Sends the events of <paramref name="events"/> whose <paramref name="settled"/> flag is false, and sets the flag of each
    /// one settled. Returns the failure that stopped it, or null when all are settled.
    /// </summary>
    public async Task<Exception?> SendAsync(IReadOnlyList<OutgoingEvent> events, bool[] settled, CancellationToken cancellationToken)
    {
        // Keys come from telemetry; the cache of index lists is bounded like any attacker-sized table.
        if (_groups.Count > 10_000)
        {
            _groups.Clear();
        }

        foreach (var list in _groups.Values)
        {
            list.Clear();
        }

        _order.Clear();
        for (var i = 0; i < events.Count; i++)
        {
            if (settled[i])
            {
                continue;
            }

            var key = events[i].PartitionKey;
            if (!_groups.TryGetValue(key, out var indexes))
            {
                _groups[key] = indexes = [];
            }

            if (indexes.Count == 0)
            {
                _order.Add(key);
            }

            indexes.Add(i);
        }

        foreach (var key in _order)
        {
            var indexes = _groups[key];
            _scratch.Clear();
            foreach (var index in indexes)
            {
                _scratch.Add(events[index]);
            }

            var result = await sender.SendAsync(key, _scratch, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < result.Settled; i++)
            {
                settled[indexes[i]] = true;
            }

            Totals.Add(key, result);
            foreach (var index in result.Oversized)
            {
                OnOversized?.Invoke(_scratch[index]);
            }

            if (result.Failure is not null)
            {
                return result.Failure;
            }
        }

        return null;
    }
}

/// <summary>What a <see cref="PartitionedSender"/> has sent, in total and per partition key.</summary>
public sealed class SendTotals
{
    private readonly Dictionary<string, KeyTotals> _perKey = new(StringComparer.Ordinal);

    /// <summary>Events the hub accepted.</summary>
    public long Sent { get; private set; }

    /// <summary>Batches the hub accepted.</summary>
    public long Batches { get; private set; }

    /// <summary>Body bytes the hub accepted.</summary>
    public long Bytes { get; private set; }

    /// <summary>Events skipped as larger than a batch.</summary>
    public long Oversized { get; private set; }

    /// <summary>Totals per partition key.</summary>
    public IReadOnlyDictionary<string, KeyTotals> PerKey => _perKey;

    internal void Add(string key, SendResult result)
    {
        Sent += result.Sent;
        Batches += result.Batches;
        Bytes += result.Bytes;
        Oversized += result.Oversized.Count;
        if (result.Sent == 0 && result.Oversized.Count == 0)
        {
            return;
        }

        if (!_perKey.TryGetValue(key, out var totals))
        {
            _perKey[key] = totals = new KeyTotals();
        }

        totals.Sent += result.Sent;
        totals.Batches += result.Batches;
        totals.Bytes += result.Bytes;
    }
}

/// <summary>Totals of one partition key.</summary>
public sealed class KeyTotals
{
    /// <summary>Events sent.</summary>
    public long Sent { get; internal set; }

    /// <summary>Batches sent.</summary>
    public long Batches { get; internal set; }

    /// <summary>Body bytes sent.</summary>
    public long Bytes { get; internal set; }
}
