using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest;

/// <summary>The embedded-mode twin of the dead-letter store: keeps every payload whole.</summary>
public sealed class InMemoryDeadLetterStore : IDeadLetterStore
{
    private readonly Dictionary<string, Entry> _items = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store; <paramref name="time"/> stamps the received time (system clock when null).</summary>
    public InMemoryDeadLetterStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Every stored reject with its payload, in first-arrival order.</summary>
    public IReadOnlyList<RejectedEvent> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _order.Select(id => _items[id].Letter.Rejected with { Payload = _items[id].Payload })];
            }
        }
    }

    /// <inheritdoc />
    public Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejects);
        var now = _time.GetUtcNow();
        lock (_items)
        {
            foreach (var reject in rejects)
            {
                var id = DeadLetterIds.For(reject, now);
                var payload = reject.Payload.ToArray();
                var letter = new DeadLetter(id, reject with { Payload = ReadOnlyMemory<byte>.Empty }, now, payload.Length, PayloadComplete: true);
                if (_items.TryGetValue(id, out var old))
                {
                    // A redelivery overwrites the entry but not the fact that it was replayed.
                    letter = letter with { ReplayedAt = old.Letter.ReplayedAt, ReplayCount = old.Letter.ReplayCount };
                }
                else
                {
                    _order.Add(id);
                }

                _items[id] = new Entry(letter, payload);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_items)
        {
            IReadOnlyList<DeadLetter> list = [.. _items.Values.Select(e => e.Letter).Where(query.Matches)
                .OrderBy(DeadLetterIds.TimeOf).ThenBy(l => l.Id, StringComparer.Ordinal).Take(query.Max)];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        lock (_items)
        {
            return Task.FromResult(_items.TryGetValue(id, out var entry) ? entry.Letter : null);
        }
    }

    /// <inheritdoc />
    public Task<byte[]?> ReadPayloadAsync(string id, CancellationToken cancellationToken)
    {
        lock (_items)
        {
            return Task.FromResult(_items.TryGetValue(id, out var entry) ? (byte[]?)[.. entry.Payload] : null);
        }
    }

    /// <inheritdoc />
    public Task<bool> MarkReplayedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_items)
        {
            if (!_items.TryGetValue(id, out var entry))
            {
                return Task.FromResult(false);
            }

            _items[id] = entry with { Letter = entry.Letter with { ReplayedAt = at, ReplayCount = entry.Letter.ReplayCount + 1 } };
            return Task.FromResult(true);
        }
    }

    private sealed record Entry(DeadLetter Letter, byte[] Payload);
}
