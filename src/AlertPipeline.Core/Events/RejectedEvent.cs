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

    /// <summary>Builds an excerpt of at most <see cref="MaxExcerptBytes"/> bytes of (possibly invalid) UTF-8.</summary>
    public static string ExcerptOf(ReadOnlySpan<byte> input)
    {
        var slice = input.Length > MaxExcerptBytes ? input[..MaxExcerptBytes] : input;
        var text = System.Text.Encoding.UTF8.GetString(slice);
        return input.Length > MaxExcerptBytes ? text + "…" : text;
    }
}
