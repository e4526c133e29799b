using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Shared helpers for JSON formats: copy the reader's current scalar straight into the batch arena,
/// read timestamps, and skip insignificant bytes. Nothing here allocates per event.
/// </summary>
internal static class JsonValues
{
    /// <summary>
    /// How a message body holds its records, decided once for every JSON format: one array, JSON lines (each line a
    /// whole object, or a malformed one that line mode isolates), or a sequence of pretty-printed objects.
    /// <paramref name="json"/> is the body after any BOM.
    /// </summary>
    public static JsonBodyShape ShapeOf(ReadOnlySpan<byte> body, int maxDepth, out ReadOnlySpan<byte> json)
    {
        json = body[(body.StartsWith("\uFEFF"u8) ? 3 : 0)..];
        var start = SkipWhitespace(body, 0);
        if (start >= body.Length)
        {
            return JsonBodyShape.Empty;
        }

        return body[start] switch
        {
            (byte)'[' => JsonBodyShape.Array,
            (byte)'{' => FirstLineHoldsObject(body[start..], maxDepth) ? JsonBodyShape.Lines : JsonBodyShape.Sequence,
            _ => JsonBodyShape.NotJson,
        };
    }

    /// <summary>True when the first line is a complete JSON value or is malformed; false when the object continues.</summary>
    private static bool FirstLineHoldsObject(ReadOnlySpan<byte> body, int maxDepth)
    {
        var newline = body.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return true;
        }

        var reader = new Utf8JsonReader(body[..newline], isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = maxDepth }));
        try
        {
            return reader.Read() && reader.TrySkip() && reader.TokenType == JsonTokenType.EndObject;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    /// <summary>
    /// Longest value kept for one field; longer values are cut. Bounded so one hostile field cannot grow the arena
    /// without limit, and cut rather than rejected so a padded command line still reaches detection.
    /// </summary>
    public const int MaxValueChars = 32 * 1024;

    /// <summary>Longest timestamp text accepted (ISO-8601 with 7 fraction digits and an offset is 33 bytes).</summary>
    private const int MaxTimestampBytes = 64;

    /// <summary>
    /// Writes the current scalar token as <paramref name="field"/> of the open event: strings unescaped, numbers as
    /// their raw text, booleans as <c>true</c>/<c>false</c>; null writes nothing. Returns false only when the string
    /// is not valid UTF-8/UTF-16 (nothing is written then).
    /// </summary>
    public static bool TryWriteScalar(ref Utf8JsonReader reader, EventBatch batch, EcsField field, bool skipEmpty = false, int maxChars = MaxValueChars)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return TryWriteString(ref reader, batch, field, skipEmpty, maxChars);
            case JsonTokenType.Number:
                WriteAscii(reader.ValueSpan, batch, field);
                return true;
            case JsonTokenType.True:
                batch.Set(field, "true");
                return true;
            case JsonTokenType.False:
                batch.Set(field, "false");
                return true;
            default:
                return true;
        }
    }

    /// <summary>Unescapes the current string token straight into the arena as <paramref name="field"/>.</summary>
    public static bool TryWriteString(ref Utf8JsonReader reader, EventBatch batch, EcsField field, bool skipEmpty = false, int maxChars = MaxValueChars)
    {
        if (skipEmpty && reader.ValueSpan.IsEmpty)
        {
            return true;
        }

        // Unescaped UTF-16 is never longer than the raw UTF-8 (escapes only shrink), so this bound is safe.
        var target = batch.Reserve(reader.ValueSpan.Length);
        if (!TryCopy(ref reader, target, out var written))
        {
            return false;
        }

        batch.CommitReserved(field, Cut(target, written, maxChars));
        return true;
    }

    /// <summary>Copies the current string token (or property name) into <paramref name="target"/>; false on invalid UTF-8.</summary>
    public static bool TryCopy(ref Utf8JsonReader reader, scoped Span<char> target, out int written)
    {
        try
        {
            written = reader.CopyString(target);
            return true;
        }
        catch (InvalidOperationException)
        {
            // The reader validates UTF-8 (and \u surrogates) only when transcoding; attacker bytes land here.
            written = 0;
            return false;
        }
    }

    /// <summary>Copies the current string token's unescaped UTF-8 into <paramref name="target"/>; false on invalid UTF-8.</summary>
    public static bool TryCopyUtf8(ref Utf8JsonReader reader, scoped Span<byte> target, out int written)
    {
        try
        {
            written = reader.CopyString(target);
            return true;
        }
        catch (InvalidOperationException)
        {
            // An invalid escape or invalid UTF-8 in a time string must reject the record, not escape the batch.
            written = 0;
            return false;
        }
    }

    /// <summary>The length to keep of <paramref name="written"/> chars, cut to <paramref name="maxChars"/> without splitting a surrogate pair.</summary>
    public static int Cut(ReadOnlySpan<char> text, int written, int maxChars)
    {
        if (written <= maxChars)
        {
            return written;
        }

        return char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
    }

    /// <summary>Writes ASCII bytes (a JSON number's raw text) as <paramref name="field"/>.</summary>
    public static void WriteAscii(ReadOnlySpan<byte> ascii, EventBatch batch, EcsField field)
    {
        var target = batch.Reserve(ascii.Length);
        Ascii.ToUtf16(ascii, target, out var written);
        batch.CommitReserved(field, written);
    }

    /// <summary>Writes <paramref name="value"/> lower-cased (invariant) as <paramref name="field"/>.</summary>
    public static void SetLower(EventBatch batch, EcsField field, ReadOnlySpan<char> value)
    {
        var target = batch.Reserve(value.Length);
        var written = value.ToLowerInvariant(target);
        batch.CommitReserved(field, written);
    }

    /// <summary>
    /// Reads the current token as an ISO-8601 time. Text without an offset is taken as UTC (never as the
    /// machine's local time). False for non-strings, unparsable text, and times the batch cannot hold.
    /// </summary>
    public static bool TryGetTimestamp(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > MaxTimestampBytes)
        {
            return false;
        }

        Span<byte> raw = stackalloc byte[MaxTimestampBytes];
        if (!TryCopyUtf8(ref reader, raw, out var length))
        {
            return false;
        }

        if (HasOffset(raw[..length]))
        {
            if (!reader.TryGetDateTimeOffset(out value))
            {
                return false;
            }
        }
        else
        {
            if (!reader.TryGetDateTime(out var unspecified))
            {
                return false;
            }

            value = new DateTimeOffset(DateTime.SpecifyKind(unspecified, DateTimeKind.Unspecified), TimeSpan.Zero);
        }

        // Tick 0 is how the batch marks "no time yet"; 0001-01-01 is junk anyway.
        return value.UtcTicks != 0;
    }

    private static bool HasOffset(ReadOnlySpan<byte> iso)
    {
        // An offset can only follow the date part (yyyy-MM-dd has '-' of its own).
        return iso.Length > 10 && iso[10..].IndexOfAny("Zz+-"u8) >= 0;
    }

    /// <summary>Index of the first byte at or after <paramref name="start"/> that is not JSON whitespace or a UTF-8 BOM.</summary>
    public static int SkipWhitespace(ReadOnlySpan<byte> body, int start)
    {
        var i = start;
        if (i == 0 && body.StartsWith("\uFEFF"u8))
        {
            i = 3;
        }

        while (i < body.Length && body[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }

    /// <summary>True if <paramref name="text"/> parses as an IPv4 or looks like an IPv6 address (no allocation).</summary>
    public static bool LooksLikeIp(ReadOnlySpan<char> text)
    {
        if (Enrich.Enrichers.AddressClassEnricher.TryParseIPv4(text, out _))
        {
            return true;
        }

        // IPv6: hex digits, colons and an optional embedded IPv4; at least two colons.
        return text.Count(':') >= 2 && !text.ContainsAnyExcept(Ipv6Chars);
    }

    private static readonly System.Buffers.SearchValues<char> Ipv6Chars =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF:.");

    /// <summary>True if <paramref name="text"/> is 1–5 ASCII digits (a port).</summary>
    public static bool IsPort(ReadOnlySpan<char> text)
    {
        // A plain loop: ContainsAnyExceptInRange was measured allocating 96 bytes per call here, once per endpoint.
        if (text.Length is 0 or > 5)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>How a JSON message body holds its records (<see cref="JsonValues.ShapeOf"/>).</summary>
internal enum JsonBodyShape
{
    /// <summary>Only whitespace.</summary>
    Empty,

    /// <summary>Neither an object nor an array.</summary>
    NotJson,

    /// <summary>One JSON array of records.</summary>
    Array,

    /// <summary>JSON lines: one record per line.</summary>
    Lines,

    /// <summary>Objects that span lines, one after another.</summary>
    Sequence,
}
