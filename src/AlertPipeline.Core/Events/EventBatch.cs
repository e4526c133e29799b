using System.Runtime.CompilerServices;

namespace AlertPipeline.Core.Events;

/// <summary>
/// A reusable, columnar batch of normalized events. Field values live as slices of one shared
/// character arena, addressed by (event index, <see cref="EcsField"/>): parsing and matching a
/// batch allocates nothing per event once the arena and slot arrays have grown to the batch size.
/// </summary>
/// <remarks>
/// Spans returned by <see cref="Get"/> are valid until the next write to the batch (the arena may move).
/// Parsers write one event at a time: <see cref="BeginEvent"/>, <see cref="Set(EcsField, ReadOnlySpan{char})"/>…,
/// then <see cref="CommitEvent"/> or <see cref="AbortEvent"/>, which rolls back everything the event wrote.
/// </remarks>
public sealed class EventBatch
{
    private const int FieldCount = (int)EcsField.Count;

    private char[] _arena;
    private int _arenaUsed;
    private Slot[] _slots;
    private EventMeta[] _meta;
    private int _count;
    private int _open = -1;
    private int _openArenaStart;
    private readonly List<RejectedEvent> _rejects = [];

    /// <summary>Creates a batch sized for <paramref name="expectedEvents"/> events.</summary>
    public EventBatch(int expectedEvents = 256)
    {
        expectedEvents = Math.Max(expectedEvents, 4);
        _arena = new char[expectedEvents * 128];
        _slots = new Slot[expectedEvents * FieldCount];
        _meta = new EventMeta[expectedEvents];
    }

    /// <summary>Number of committed events.</summary>
    public int Count => _count;

    /// <summary>Records rejected while filling this batch (malformed events, unknown formats).</summary>
    public IReadOnlyList<RejectedEvent> Rejects => _rejects;

    /// <summary>Empties the batch for reuse, keeping its buffers.</summary>
    public void Clear()
    {
        Array.Clear(_slots, 0, _count * FieldCount);
        _count = 0;
        _arenaUsed = 0;
        _open = -1;
        _rejects.Clear();
    }

    /// <summary>Starts a new event; its fields are written with the <c>Set</c> overloads.</summary>
    public void BeginEvent(SourcePosition position, string format)
    {
        if (_open >= 0)
        {
            throw new InvalidOperationException("An event is already open; commit or abort it first.");
        }

        EnsureEventCapacity(_count + 1);
        _open = _count;
        _openArenaStart = _arenaUsed;
        Array.Clear(_slots, _open * FieldCount, FieldCount);
        _meta[_open] = new EventMeta(position, format, 0);
    }

    /// <summary>Commits the open event. The parser must have set its time (<see cref="SetTimestamp"/>); a missing time is a parser bug.</summary>
    public void CommitEvent()
    {
        EnsureOpen();
        if (_meta[_open].UtcTicks == 0)
        {
            throw new InvalidOperationException("The open event has no timestamp; reject it instead of committing.");
        }

        _count++;
        _open = -1;
    }

    /// <summary>Discards the open event and every value it wrote.</summary>
    public void AbortEvent()
    {
        EnsureOpen();
        Array.Clear(_slots, _open * FieldCount, FieldCount);
        _arenaUsed = _openArenaStart;
        _open = -1;
    }

    /// <summary>True while an event is open.</summary>
    public bool HasOpenEvent => _open >= 0;

    /// <summary>Sets a field of the open event.</summary>
    public void Set(EcsField field, ReadOnlySpan<char> value)
    {
        EnsureOpen();
        SetAt(_open, field, value);
    }

    /// <summary>Removes a field of the open event (a parser that learns late that a value means something else).</summary>
    public void Unset(EcsField field)
    {
        EnsureOpen();
        _slots[(_open * FieldCount) + (int)field] = default;
    }

    /// <summary>Sets a field of the open event to a number's invariant text.</summary>
    public void Set(EcsField field, long value)
    {
        Span<char> buffer = stackalloc char[24];
        value.TryFormat(buffer, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        Set(field, buffer[..written]);
    }

    /// <summary>
    /// Reserves room for up to <paramref name="maxLength"/> chars of one value of the open event;
    /// write into the span, then call <see cref="CommitReserved"/> with the length written.
    /// Lets a JSON reader unescape straight into the arena.
    /// </summary>
    public Span<char> Reserve(int maxLength)
    {
        EnsureOpen();
        EnsureArena(maxLength);
        return _arena.AsSpan(_arenaUsed, maxLength);
    }

    /// <summary>Commits <paramref name="length"/> chars written into the last <see cref="Reserve"/> span as <paramref name="field"/>.</summary>
    public void CommitReserved(EcsField field, int length)
    {
        EnsureOpen();
        _slots[(_open * FieldCount) + (int)field] = new Slot(_arenaUsed, length + 1);
        _arenaUsed += length;
    }

    /// <summary>Sets the open event's time (UTC). Also writes <c>@timestamp</c> if it was not set.</summary>
    public void SetTimestamp(DateTimeOffset timestamp)
    {
        EnsureOpen();
        _meta[_open] = _meta[_open] with { UtcTicks = timestamp.UtcTicks };
        if (!Has(_open, EcsField.Timestamp))
        {
            Span<char> buffer = stackalloc char[40];
            timestamp.ToUniversalTime().TryFormat(buffer, out var written, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            SetAt(_open, EcsField.Timestamp, buffer[..written]);
        }
    }

    /// <summary>The open event's value of <paramref name="field"/> (empty when absent).</summary>
    public ReadOnlySpan<char> GetOpen(EcsField field)
    {
        EnsureOpen();
        return Get(_open, field);
    }

    /// <summary>True if the open event has <paramref name="field"/>.</summary>
    public bool HasOpen(EcsField field)
    {
        EnsureOpen();
        return Has(_open, field);
    }

    /// <summary>Sets a field of an already committed event (used by enrichers).</summary>
    public void Set(int index, EcsField field, ReadOnlySpan<char> value)
    {
        CheckIndex(index);
        SetAt(index, field, value);
    }

    /// <summary>The value of <paramref name="field"/> in event <paramref name="index"/>; empty when absent (see <see cref="Has"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<char> Get(int index, EcsField field)
    {
        var slot = _slots[(index * FieldCount) + (int)field];
        return slot.LengthPlusOne == 0 ? default : _arena.AsSpan(slot.Start, slot.LengthPlusOne - 1);
    }

    /// <summary>True if event <paramref name="index"/> carries <paramref name="field"/> (possibly empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Has(int index, EcsField field) => _slots[(index * FieldCount) + (int)field].LengthPlusOne != 0;

    /// <summary>Convenience: the value as a new string, or null when absent. Allocates; not for the hot path.</summary>
    public string? GetString(int index, EcsField field) => Has(index, field) ? new string(Get(index, field)) : null;

    /// <summary>Event time of event <paramref name="index"/>.</summary>
    public DateTimeOffset Timestamp(int index) => new(_meta[index].UtcTicks, TimeSpan.Zero);

    /// <summary>Where event <paramref name="index"/> came from.</summary>
    public SourcePosition Position(int index) => _meta[index].Position;

    /// <summary>The name of the format that produced event <paramref name="index"/>.</summary>
    public string FormatOf(int index) => _meta[index].Format;

    /// <summary>Records a rejected event or body; never throws, so a parser can always continue.</summary>
    /// <remarks>The input is copied whole (it is replayed from the dead-letter store); rejects are off the hot path.</remarks>
    public void Reject(SourcePosition position, string format, string reason, string detail, ReadOnlySpan<byte> input)
        => _rejects.Add(new RejectedEvent(position, format, reason, detail, RejectedEvent.ExcerptOf(input)) { Payload = input.ToArray() });

    /// <summary>Replaces reject <paramref name="index"/> (the ingestor adds the closest format's name to it).</summary>
    public void ReplaceReject(int index, RejectedEvent reject) => _rejects[index] = reject;

    private void SetAt(int index, EcsField field, ReadOnlySpan<char> value)
    {
        EnsureArena(value.Length);
        value.CopyTo(_arena.AsSpan(_arenaUsed));
        _slots[(index * FieldCount) + (int)field] = new Slot(_arenaUsed, value.Length + 1);
        _arenaUsed += value.Length;
    }

    private void EnsureArena(int extra)
    {
        if (_arenaUsed + extra <= _arena.Length)
        {
            return;
        }

        var size = Math.Max(_arena.Length * 2, _arenaUsed + extra);
        Array.Resize(ref _arena, size);
    }

    private void EnsureEventCapacity(int events)
    {
        if (events <= _meta.Length)
        {
            return;
        }

        var size = Math.Max(_meta.Length * 2, events);
        Array.Resize(ref _meta, size);
        Array.Resize(ref _slots, size * FieldCount);
    }

    private void EnsureOpen()
    {
        if (_open < 0)
        {
            throw new InvalidOperationException("No event is open; call BeginEvent first.");
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    private readonly record struct Slot(int Start, int LengthPlusOne);

    private readonly record struct EventMeta(SourcePosition Position, string Format, long UtcTicks);
}
