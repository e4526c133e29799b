using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest;

/// <summary>
/// The one store of everything rejected: reason, source position, transport origin and the full raw payload
/// (Table <c>deadletters</c>, large payloads in blob container <c>deadletters</c> in Azure). <c>alertpipe deadletter</c>
/// lists and replays from it.
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// Stores <paramref name="rejects"/>. Idempotent: a reject of the same position and reason (as a redelivered batch
    /// produces) overwrites its entry instead of adding one, and keeps the entry's replay marks.
    /// </summary>
    Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken);

    /// <summary>Dead letters matching <paramref name="query"/>, oldest enqueued first. Payloads are not read.</summary>
    Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken);

    /// <summary>The dead letter with id <paramref name="id"/>, or null.</summary>
    Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The full raw payload of dead letter <paramref name="id"/>, or null when there is no such entry or its full payload was not kept.</summary>
    Task<byte[]?> ReadPayloadAsync(string id, CancellationToken cancellationToken);

    /// <summary>Records that dead letter <paramref name="id"/> was resubmitted at <paramref name="at"/>: sets the time and adds one to the count. False if there is no such entry.</summary>
    Task<bool> MarkReplayedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>A stored dead letter (the payload itself is read separately with <see cref="IDeadLetterStore.ReadPayloadAsync"/>).</summary>
/// <param name="Id">Stable id: <c>yyyyMMdd-</c> (enqueued day, UTC) and a hash of stream, sequence, record and reason.</param>
/// <param name="Rejected">What was rejected, without its payload.</param>
/// <param name="ReceivedTime">When the store last wrote it.</param>
/// <param name="PayloadLength">Bytes of the full payload.</param>
/// <param name="PayloadComplete">True when the full payload can be read back (false when it was too large and no blob storage was configured).</param>
public sealed record DeadLetter(string Id, RejectedEvent Rejected, DateTimeOffset ReceivedTime, int PayloadLength, bool PayloadComplete)
{
    /// <summary>Where the full payload is kept when it did not fit the row (a blob name), or null.</summary>
    public string? PayloadBlob { get; init; }

    /// <summary>When it was last resubmitted, or null if never.</summary>
    public DateTimeOffset? ReplayedAt { get; init; }

    /// <summary>How many times it was resubmitted.</summary>
    public int ReplayCount { get; init; }
}

/// <summary>Which dead letters to list.</summary>
/// <param name="Since">Only those whose message was enqueued (or, without an enqueued time, received) at or after this.</param>
/// <param name="Reason">Only this reason code.</param>
/// <param name="Max">At most this many (the oldest first).</param>
public sealed record DeadLetterQuery(DateTimeOffset? Since = null, string? Reason = null, int Max = 1000)
{
    /// <summary>True when <paramref name="letter"/> passes the filters.</summary>
    public bool Matches(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return (Since is null || DeadLetterIds.TimeOf(letter) >= Since)
            && (Reason is null || string.Equals(letter.Rejected.Reason, Reason, StringComparison.Ordinal));
    }
}

/// <summary>The id of a dead letter, computed the same way by every store.</summary>
public static class DeadLetterIds
{
    /// <summary>
    /// <c>yyyyMMdd-</c> of the message's enqueued day (UTC; <paramref name="received"/> when it has none) and 16 hex
    /// digits of SHA-256 over stream, sequence, record and reason: a redelivery (same enqueued time) gets the same id.
    /// </summary>
    public static string For(RejectedEvent reject, DateTimeOffset received)
    {
        ArgumentNullException.ThrowIfNull(reject);
        var day = (reject.EnqueuedTime ?? received).UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var exact = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{reject.Position.Stream}\n{reject.Position.Sequence}\n{reject.Position.Record}\n{reject.Reason}");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(exact)).AsSpan(0, 8));
        return $"{day}-{hash}";
    }

    /// <summary>The day part of an id (<c>yyyyMMdd</c>), or null when <paramref name="id"/> has not the shape of one.</summary>
    public static string? DayOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.Length == 25 && id[8] == '-' && id.AsSpan(0, 8).IndexOfAnyExceptInRange('0', '9') < 0
            && id.AsSpan(9).IndexOfAnyExcept("0123456789abcdef") < 0 ? id[..8] : null;
    }

    /// <summary>The time a dead letter is filtered and ordered by: its message's enqueued time, else when it was received.</summary>
    public static DateTimeOffset TimeOf(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return letter.Rejected.EnqueuedTime ?? letter.ReceivedTime;
    }
}
