namespace AlertPipeline.Core.Events;

/// <summary>
/// An event or message body the pipeline could not accept, with the reason and where it came from.
/// It goes to the dead-letter store; the rest of its batch still flows.
/// </summary>
/// <param name="Position">Source position of the rejected record.</param>
/// <param name="Format">The format that was tried, or <c>unknown</c>.</param>
/// <param name="Reason">A short, stable reason code such as <c>malformed-json</c>, used for counting.</param>
/// <param name="Detail">Human-readable detail (never contains more than a bounded excerpt of the input).</param>
/// <param name="Excerpt">The first bytes of the offending input, truncated, for diagnosis.</param>
/// <param name="FormatGuess">For a body no format could read: the format it resembled most, if any.</param>
public sealed record RejectedEvent(SourcePosition Position, string Format, string Reason, string Detail, string Excerpt, string? FormatGuess = null)
{
    /// <summary>Most bytes of input kept in <see cref="Excerpt"/>.</summary>
    public const int MaxExcerptBytes = 1024;

    /// <summary>The Event Hub the record came from (null for files and other transports).</summary>
    public string? Hub { get; init; }

    /// <summary>The Event Hubs partition id, or null.</summary>
    public string? PartitionId { get; init; }

    /// <summary>The message's Event Hubs offset, or null.</summary>
    public string? Offset { get; init; }

    /// <summary>When the transport accepted the message, or null when unknown.</summary>
    public DateTimeOffset? EnqueuedTime { get; init; }

    /// <summary>
    /// The full raw input that was rejected (the record, or the whole body when no record could be told apart),
    /// so it can be replayed after a fix. Not part of equality: two rejects of one position are the same reject.
    /// </summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Equality over the position, text and origin; the payload is left out (memory compares by reference).</summary>
    public bool Equals(RejectedEvent? other) => other is not null
        && Position == other.Position && Format == other.Format && Reason == other.Reason && Detail == other.Detail
        && Excerpt == other.Excerpt && FormatGuess == other.FormatGuess && Hub == other.Hub && PartitionId == other.PartitionId
        && Offset == other.Offset && EnqueuedTime == other.EnqueuedTime;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Position, Format, Reason, Detail, Hub, PartitionId, Offset, EnqueuedTime);

    /// <summary>Builds an excerpt of at most <see cref="MaxExcerptBytes"/> bytes of (possibly invalid) UTF-8, cut between characters.</summary>
    public static string ExcerptOf(ReadOnlySpan<byte> input)
    {
        var slice = Utf8Cut.Prefix(input, MaxExcerptBytes);

        // Invalid sequences decode to U+FFFD, never to a lone surrogate, so the text survives any UTF-8 store.
        var text = System.Text.Encoding.UTF8.GetString(slice);
        return slice.Length < input.Length ? text + "…" : text;
    }
}

/// <summary>Cuts UTF-8 without splitting a character.</summary>
public static class Utf8Cut
{
    /// <summary>
    /// The longest prefix of <paramref name="input"/> of at most <paramref name="maxBytes"/> bytes that does not end
    /// inside a multi-byte character (the cut moves back over continuation bytes, at most three).
    /// </summary>
    public static ReadOnlySpan<byte> Prefix(ReadOnlySpan<byte> input, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (input.Length <= maxBytes)
        {
            return input;
        }

        var end = maxBytes;

        // A continuation byte (10xxxxxx) at the cut belongs to the character before it; back off to that character's
        // lead byte. Invalid input with longer runs of continuation bytes is cut after three steps anyway.
        for (var step = 0; step < 3 && end > 0 && (input[end] & 0xC0) == 0x80; step++)
        {
            end--;
        }

        return input[..end];
    }
}
