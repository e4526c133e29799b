using System.Buffers.Binary;

namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>
/// One event (or inner correlation firing) counted by a correlation: its event time, a stable identity (so a
/// redelivered event is not counted twice), a hash of its counted value (value_count) and which input it came from.
/// </summary>
public readonly record struct CorrelationEntry(long Ticks, ulong Key, ulong Value, byte Input);

/// <summary>
/// The stored state of one correlation for one group: the entries still inside the retention window and the
/// bookkeeping of episodes and closed windows. Kept in Table Storage (one row) or in memory; written with
/// ETag concurrency by <see cref="CorrelationEngine"/>.
/// </summary>
public sealed class CorrelationState
{
    /// <summary>The correlation rule's id (the Table PartitionKey).</summary>
    public required string RuleId { get; init; }

    /// <summary>A hash of the group values (the Table RowKey).</summary>
    public required string GroupKey { get; init; }

    /// <summary>The group as text, <c>name=value</c> pairs, for operators reading the store.</summary>
    public string GroupText { get; set; } = string.Empty;

    /// <summary>The <see cref="CompiledCorrelation.Fingerprint"/> the state was written under.</summary>
    public ulong Fingerprint { get; set; }

    /// <summary>Entries, sorted by time then key.</summary>
    public List<CorrelationEntry> Entries { get; set; } = [];

    /// <summary>The latest event time seen (UTC ticks); lateness is measured against it.</summary>
    public long MaxTicks { get; set; }

    /// <summary>Entries at or before this time were dropped to respect the size cap; older events are ignored.</summary>
    public long EvictedThroughTicks { get; set; }

    /// <summary>For closed-window conditions: windows ending at or before this time have been judged.</summary>
    public long ClosedThroughTicks { get; set; }

    /// <summary>For sliding conditions: start of the first satisfied window of the current episode (its identity), or 0.</summary>
    public long EpisodeKeyTicks { get; set; }

    /// <summary>Earliest start of a satisfied window in the current episode.</summary>
    public long EpisodeStartTicks { get; set; }

    /// <summary>Latest end of a satisfied window in the current episode.</summary>
    public long EpisodeEndTicks { get; set; }

    /// <summary>The highest count of a satisfied window in the current episode.</summary>
    public long EpisodeMax { get; set; }

    /// <summary>When the row may be deleted by the cleanup sweep (wall-clock).</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The store's concurrency token; null for state not yet stored.</summary>
    public string? ETag { get; set; }

    /// <summary>A deep copy (stores hand out copies so callers cannot change what is stored).</summary>
    public CorrelationState Clone() => new()
    {
        RuleId = RuleId,
        GroupKey = GroupKey,
        GroupText = GroupText,
        Fingerprint = Fingerprint,
        Entries = [.. Entries],
        MaxTicks = MaxTicks,
        EvictedThroughTicks = EvictedThroughTicks,
        ClosedThroughTicks = ClosedThroughTicks,
        EpisodeKeyTicks = EpisodeKeyTicks,
        EpisodeStartTicks = EpisodeStartTicks,
        EpisodeEndTicks = EpisodeEndTicks,
        EpisodeMax = EpisodeMax,
        ExpiresAt = ExpiresAt,
        ETag = ETag,
    };

    /// <summary>Size of one encoded entry.</summary>
    public const int EntryBytes = 25;

    /// <summary>Packs entries into bytes (little-endian, <see cref="EntryBytes"/> each) for a binary column.</summary>
    public static byte[] EncodeEntries(IReadOnlyList<CorrelationEntry> entries)
    {
        var bytes = new byte[entries.Count * EntryBytes];
        var span = bytes.AsSpan();
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span, entry.Ticks);
            BinaryPrimitives.WriteUInt64LittleEndian(span[8..], entry.Key);
            BinaryPrimitives.WriteUInt64LittleEndian(span[16..], entry.Value);
            span[24] = entry.Input;
            span = span[EntryBytes..];
        }

        return bytes;
    }

    /// <summary>Unpacks <see cref="EncodeEntries"/>; a truncated tail is ignored.</summary>
    public static List<CorrelationEntry> DecodeEntries(ReadOnlySpan<byte> bytes)
    {
        var entries = new List<CorrelationEntry>(bytes.Length / EntryBytes);
        while (bytes.Length >= EntryBytes)
        {
            entries.Add(new CorrelationEntry(
                BinaryPrimitives.ReadInt64LittleEndian(bytes),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
                bytes[24]));
            bytes = bytes[EntryBytes..];
        }

        return entries;
    }
}

/// <summary>
/// Where correlation state lives: Table Storage when running in Azure, memory in the embedded mode. Both pass one
/// contract test. Reads and writes are per (rule, group) so a batch costs one read and one write per group it touches.
/// </summary>
public interface ICorrelationStateStore
{
    /// <summary>The state of one group, or null.</summary>
    Task<CorrelationState?> GetAsync(string ruleId, string groupKey, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="state"/>: inserts it when its <see cref="CorrelationState.ETag"/> is null, else replaces
    /// the stored row only if it still has that ETag. False when another writer got there first (nothing written).
    /// On success the state carries its new ETag.
    /// </summary>
    Task<bool> TryWriteAsync(CorrelationState state, CancellationToken cancellationToken);

    /// <summary>Every stored group of one correlation rule (for judging closed windows when events stop).</summary>
    IAsyncEnumerable<CorrelationState> ListAsync(string ruleId, CancellationToken cancellationToken);

    /// <summary>Every stored group whose <see cref="CorrelationState.ExpiresAt"/> is before <paramref name="now"/>.</summary>
    IAsyncEnumerable<CorrelationState> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes the group if it still has the state's ETag; false if it changed or is gone.</summary>
    Task<bool> TryDeleteAsync(CorrelationState state, CancellationToken cancellationToken);
}
