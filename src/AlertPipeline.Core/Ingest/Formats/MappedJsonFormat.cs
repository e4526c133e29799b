using System.Buffers.Text;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// The shared reader of the JSON-per-record formats (Suricata, Falco, Zeek, Tetragon, DCGM): a body is one object,
/// a JSON array of objects or JSON lines; each object's members are named by their dotted path (nested objects and
/// dotted keys alike, the first element of an array standing for the array) and looked up in the format's frozen
/// path table. The format only declares that table, how it recognises a body, and what it adds per record.
/// </summary>
public abstract class MappedJsonFormat : JsonRecordsFormat
{
    // Every mapped path is shorter; longer paths can only be unknown members, which are skipped.
    private const int MaxPathChars = 128;


    // Recognition looks at most this far into a body (the first record of a pretty-printed body or an array).
    private const int DetectionWindowBytes = 64 * 1024;


    private readonly FrozenDictionary<string, MapTarget>.AlternateLookup<ReadOnlySpan<char>> _paths;
    private readonly byte[][] _signature;
    private readonly string _name;

    private protected MappedJsonFormat(string name, IEnumerable<KeyValuePair<string, MapTarget>> paths, params string[] signatureKeys)
    {
        _name = name;
        _paths = paths.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _signature = [.. signatureKeys.Select(k => System.Text.Encoding.UTF8.GetBytes("\"" + k + "\""))];
    }

    /// <inheritdoc />
    public override string Name => _name;

    /// <inheritdoc />
    public abstract override bool CanParse(ReadOnlySpan<byte> body);

    /// <inheritdoc />
    public override int Resemblance(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        var score = 0;
        foreach (var key in _signature)
        {
            if (HasKey(window, key))
            {
                score++;
            }
        }

        return score;
    }

    /// <summary>
    /// The bytes recognition reads: the first line when it holds a whole object (JSON lines), otherwise the start
    /// of the body (a pretty-printed object or an array).
    /// </summary>
    private protected static ReadOnlySpan<byte> DetectionWindow(ReadOnlySpan<byte> body)
    {
        var newline = body.IndexOf((byte)'\n');
        if (newline > 0 && body[..newline].TrimEnd("\r\t "u8).EndsWith("}"u8))
        {
            return body[..newline];
        }

        return body.Length > DetectionWindowBytes ? body[..DetectionWindowBytes] : body;
    }

    /// <summary>
    /// True if <paramref name="quotedKey"/> (with its quotes) is followed by a colon somewhere in
    /// <paramref name="window"/>. Inside a JSON string a quote is always escaped, so this finds member names only.
    /// </summary>
    private protected static bool HasKey(ReadOnlySpan<byte> window, ReadOnlySpan<byte> quotedKey)
    {
        while (true)
        {
            var at = window.IndexOf(quotedKey);
            if (at < 0)
            {
                return false;
            }

            var i = JsonValues.SkipWhitespace(window, at + quotedKey.Length);
            if (i < window.Length && window[i] == (byte)':' && (at == 0 || window[at - 1] != (byte)'\\'))
            {
                return true;
            }

            window = window[(at + 1)..];
        }
    }

    /// <summary>True if the body starts (after whitespace) with a JSON object or array.</summary>
    private protected static bool StartsLikeJson(ReadOnlySpan<byte> body)
    {
        var i = JsonValues.SkipWhitespace(body, 0);
        return i < body.Length && body[i] is (byte)'{' or (byte)'[';
    }

    /// <summary>
    /// Adds what the format derives per record (constants, kinds, sums) once its members are read. Returns a
    /// reject reason, or null to commit the record.
    /// </summary>
    private protected abstract string? Complete(EventBatch batch, ref MappedRecord record);

    /// <inheritdoc />
    private protected override void ParseRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, SourcePosition position, EventBatch batch, bool requireEnd)
    {
        var start = (int)reader.TokenStartIndex;
        batch.BeginEvent(position, Name);
        var record = default(MappedRecord);
        Span<char> path = stackalloc char[MaxPathChars];
        try
        {
            ReadObject(ref reader, batch, path, 0, ref record);
            if (requireEnd && reader.Read())
            {
                throw new JsonException("More than one JSON value on the line.");
            }
        }
        catch (JsonException)
        {
            batch.AbortEvent();
            throw;
        }

        var reason = record.InvalidText ? "invalid-utf8"
            : record.BadTime ? "bad-timestamp"
            : !record.HasTime ? "missing-timestamp"
            : Complete(batch, ref record);
        if (reason is null)
        {
            batch.SetTimestamp(record.Time);
            batch.CommitEvent();
            return;
        }

        batch.AbortEvent();
        batch.Reject(position, Name, reason, DetailOf(reason), buffer[start..(int)reader.BytesConsumed]);
    }

    /// <summary>Human-readable detail of a reject reason; formats with reasons of their own extend it.</summary>
    private protected virtual string DetailOf(string reason) => reason switch
    {
        "invalid-utf8" => "A key or string value is not valid UTF-8.",
        "bad-timestamp" => "The record's time is neither an ISO-8601 time nor epoch seconds.",
        "missing-timestamp" => "The record has no time.",
        _ => "The record lacks what the format requires.",
    };

    private void ReadObject(ref Utf8JsonReader reader, EventBatch batch, scoped Span<char> path, int prefix, ref MappedRecord record)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            var length = AppendName(ref reader, path, prefix, ref record);
            reader.Read();
            if (length < 0)
            {
                reader.Skip();
                continue;
            }

            ReadValue(ref reader, batch, path, length, ref record);
        }

        throw new JsonException("The object is not closed.");
    }

    /// <summary>Reads the value the reader is on, named by <paramref name="length"/> chars of <paramref name="path"/>.</summary>
    private void ReadValue(ref Utf8JsonReader reader, EventBatch batch, scoped Span<char> path, int length, ref MappedRecord record)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                if (_paths.TryGetValue(path[..length], out var mark) && mark.Action == MapAction.Mark)
                {
                    record.Marks |= 1 << mark.Slot;
                }

                ReadObject(ref reader, batch, path, length, ref record);
                break;
            case JsonTokenType.StartArray:
                // The first element stands for the array: the first object is read under the array's own path,
                // the first non-null scalar is the value; later elements are skipped.
                var taken = false;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (taken || reader.TokenType is JsonTokenType.StartArray or JsonTokenType.Null)
                    {
                        reader.Skip();
                        continue;
                    }

                    ReadValue(ref reader, batch, path, length, ref record);
                    taken = true;
                }

                break;
            case JsonTokenType.Null:
                break;
            default:
                if (_paths.TryGetValue(path[..length], out var target))
                {
                    Write(ref reader, batch, target, ref record);
                }

                break;
        }
    }

    private static int AppendName(ref Utf8JsonReader reader, scoped Span<char> path, int prefix, ref MappedRecord record)
    {
        var separator = prefix > 0 ? 1 : 0;
        if (prefix + separator + reader.ValueSpan.Length > path.Length)
        {
            return -1;
        }

        if (separator == 1)
        {
            path[prefix] = '.';
        }

        if (!JsonValues.TryCopy(ref reader, path[(prefix + separator)..], out var written))
        {
            record.InvalidText = true;
            return -1;
        }

        return prefix + separator + written;
    }

    private static void Write(ref Utf8JsonReader reader, EventBatch batch, MapTarget target, ref MappedRecord record)
    {
        var ok = true;
        switch (target.Action)
        {
            case MapAction.Field:
                ok = JsonValues.TryWriteScalar(ref reader, batch, target.Field, skipEmpty: true);
                break;
            case MapAction.Lower:
                ok = WriteTransformed(ref reader, batch, target.Field, lower: true);
                break;
            case MapAction.TrimDot:
                ok = WriteTransformed(ref reader, batch, target.Field, lower: false);
                break;
            case MapAction.Time:
                // Last value wins, as for any repeated key.
                record.HasTime = TryReadTime(ref reader, out record.Time);
                record.BadTime = !record.HasTime;
                break;
            case MapAction.SecondsToNanos:
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var seconds)
                    && seconds is >= 0 and < 9.2e9)
                {
                    batch.Set(target.Field, (long)Math.Round(seconds * 1e9));
                }

                break;
            case MapAction.Capture:
                ok = record.Capture(ref reader, target.Slot);
                break;
            case MapAction.Mark:
                record.Marks |= 1 << target.Slot;
                break;
        }

        if (!ok)
        {
            record.InvalidText = true;
        }
    }

    /// <summary>A string written lower-cased or without its trailing dots (DNS names as resolvers log them).</summary>
    private static bool WriteTransformed(ref Utf8JsonReader reader, EventBatch batch, EcsField field, bool lower)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return JsonValues.TryWriteScalar(ref reader, batch, field, skipEmpty: true);
        }

        if (reader.ValueSpan.IsEmpty)
        {
            return true;
        }

        var target = batch.Reserve(reader.ValueSpan.Length);
        if (!JsonValues.TryCopy(ref reader, target, out var written))
        {
            return false;
        }

        var value = target[..written];
        if (lower)
        {
            for (var i = 0; i < value.Length; i++)
            {
                value[i] = char.ToLowerInvariant(value[i]);
            }
        }
        else
        {
            value = value.TrimEnd('.');
        }

        if (!value.IsEmpty)
        {
            batch.CommitReserved(field, JsonValues.Cut(value, value.Length, JsonValues.MaxValueChars));
        }

        return true;
    }

    /// <summary>
    /// A time as ISO-8601 text (any number of fraction digits, offsets as <c>Z</c>, <c>+hh:mm</c> or <c>+hhmm</c>,
    /// none meaning UTC) or as epoch seconds (a JSON number, as Zeek writes <c>ts</c>).
    /// </summary>
    internal static bool TryReadTime(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType == JsonTokenType.Number)
        {
            return TryParseEpochSeconds(reader.ValueSpan, out value);
        }

        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > 64)
        {
            return false;
        }

        Span<byte> raw = stackalloc byte[64];
        return JsonValues.TryCopyUtf8(ref reader, raw, out var length) && TryParseIso(raw[..length], out value);
    }

    /// <summary>
    /// Epoch seconds from a JSON number's text, digit by digit so the fraction keeps its exact ticks (a double would
    /// be off by one at today's epochs). Exponents are refused; up to 9999-12-31.
    /// </summary>
    internal static bool TryParseEpochSeconds(ReadOnlySpan<byte> number, out DateTimeOffset value)
    {
        value = default;
        var dot = number.IndexOf((byte)'.');
        var whole = dot < 0 ? number : number[..dot];
        if (!Utf8Parser.TryParse(whole, out long seconds, out var consumed) || consumed != whole.Length
            || seconds is <= 0 or >= 253402300799)
        {
            return false;
        }

        long fraction = 0;
        var scale = TimeSpan.TicksPerSecond;
        if (dot >= 0)
        {
            foreach (var digit in number[(dot + 1)..])
            {
                if (digit is < (byte)'0' or > (byte)'9')
                {
                    return false;
                }

                if (scale > 1)
                {
                    scale /= 10;
                    fraction += (digit - '0') * scale;
                }
            }
        }

        value = DateTimeOffset.UnixEpoch.AddTicks((seconds * TimeSpan.TicksPerSecond) + fraction);
        return true;
    }

    internal static bool TryParseIso(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 19 || text[10] is not ((byte)'T' or (byte)'t' or (byte)' '))
        {
            return false;
        }

        // Rewritten into the round-trip shape Utf8Parser reads: yyyy-MM-ddTHH:mm:ss.fffffff+hh:mm (33 bytes).
        Span<byte> o = stackalloc byte[33];
        text[..19].CopyTo(o);
        o[10] = (byte)'T';
        o[19] = (byte)'.';
        var i = 19;
        var digits = 0;
        if (i < text.Length && text[i] == (byte)'.')
        {
            i++;
            while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9')
            {
                if (digits < 7)
                {
                    o[20 + digits++] = text[i];
                }

                i++;
            }
        }

        for (; digits < 7; digits++)
        {
            o[20 + digits] = (byte)'0';
        }

        var offset = text[i..];
        if (offset.IsEmpty || offset.SequenceEqual("Z"u8) || offset.SequenceEqual("z"u8))
        {
            "+00:00"u8.CopyTo(o[27..]);
        }
        else if (offset.Length == 6 && offset[3] == (byte)':' && offset[0] is (byte)'+' or (byte)'-')
        {
            offset.CopyTo(o[27..]);
        }
        else if (offset.Length == 5 && offset[0] is (byte)'+' or (byte)'-')
        {
            o[27] = offset[0];
            o[28] = offset[1];
            o[29] = offset[2];
            o[30] = (byte)':';
            o[31] = offset[3];
            o[32] = offset[4];
        }
        else
        {
            return false;
        }

        return Utf8Parser.TryParse(o, out value, out var consumed, 'O') && consumed == o.Length && value.UtcTicks != 0;
    }


    /// <summary>Table-building shorthand for the formats.</summary>
    private protected static KeyValuePair<string, MapTarget> Map(string path, EcsField field) => new(path, new(MapAction.Field, field));

    private protected static KeyValuePair<string, MapTarget> Map(string path, MapAction action, EcsField field = default, byte slot = 0)
        => new(path, new(action, field, slot));
}

/// <summary>What a mapped path does with its value.</summary>
internal enum MapAction : byte
{
    /// <summary>The scalar as it is (strings unescaped, numbers as their text).</summary>
    Field,

    /// <summary>A string lower-cased (keywords such as transports).</summary>
    Lower,

    /// <summary>A string without trailing dots (DNS names).</summary>
    TrimDot,

    /// <summary>The record's time: ISO-8601 text or epoch seconds.</summary>
    Time,

    /// <summary>A number of seconds written as nanoseconds (ECS <c>event.duration</c>).</summary>
    SecondsToNanos,

    /// <summary>A short value kept in a slot for the format's <c>Complete</c> (not written).</summary>
    Capture,

    /// <summary>Presence of the member (usually an object) sets a bit of <see cref="MappedRecord.Marks"/>.</summary>
    Mark,
}

/// <summary>The target of one mapped path.</summary>
internal readonly record struct MapTarget(MapAction Action, EcsField Field = default, byte Slot = 0);

/// <summary>Per-record scratch, on the stack: the time, error flags, marks and captured short values.</summary>
internal struct MappedRecord
{
    public const int Slots = 4;
    public const int SlotChars = 64;

    private CaptureChars _captures;
    private CaptureLengths _lengths;

    public DateTimeOffset Time;
    public bool HasTime;
    public bool BadTime;
    public bool InvalidText;
    public int Marks;

    /// <summary>The value captured in <paramref name="slot"/> (empty when none or too long to be a keyword).</summary>
    [UnscopedRef]
    public ReadOnlySpan<char> Captured(int slot) => ((Span<char>)_captures).Slice(slot * SlotChars, _lengths[slot]);

    /// <summary>True if <paramref name="bit"/> was marked.</summary>
    public readonly bool IsMarked(int bit) => (Marks & (1 << bit)) != 0;

    /// <summary>A captured number, or false.</summary>
    public bool TryCapturedLong(int slot, out long value)
        => long.TryParse(Captured(slot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);

    internal bool Capture(ref Utf8JsonReader reader, int slot)
    {
        var target = ((Span<char>)_captures).Slice(slot * SlotChars, SlotChars);
        _lengths[slot] = 0;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.ValueSpan.Length <= SlotChars)
            {
                System.Text.Ascii.ToUtf16(reader.ValueSpan, target, out var n);
                _lengths[slot] = n;
            }

            return true;
        }

        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > SlotChars)
        {
            return true;
        }

        if (!JsonValues.TryCopy(ref reader, target, out var written))
        {
            return false;
        }

        _lengths[slot] = written;
        return true;
    }

    [InlineArray(Slots * SlotChars)]
    private struct CaptureChars
    {
        private char _first;
    }

    [InlineArray(Slots)]
    private struct CaptureLengths
    {
        private int _first;
    }
}
