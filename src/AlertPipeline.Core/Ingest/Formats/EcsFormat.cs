using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// The native sandbox telemetry format: Elastic Common Schema JSON, one event per object. A body holds one object
/// (possibly pretty-printed), a JSON array of objects, or JSON lines. Keys may be nested objects, dotted names, or both.
/// Fields missing from <see cref="EcsFields"/> and enrichment-only fields are ignored; for an array value the first
/// non-null scalar is kept; <c>@timestamp</c> (ISO-8601) is required. See <c>docs/telemetry-schema.md</c>.
/// </summary>
public sealed class EcsFormat : ITelemetryFormat
{
    // Known names are at most ~30 chars; longer paths can only be unknown fields, which are skipped.
    private const int MaxPathChars = 128;

    // Real events nest 3-4 levels; a low limit bounds recursion against hostile bodies.
    private const int MaxDepth = 32;

    private static readonly JsonReaderOptions SingleValue = new() { MaxDepth = MaxDepth };
    private static readonly JsonReaderOptions MultipleValues = new() { MaxDepth = MaxDepth, AllowMultipleValues = true };

    /// <inheritdoc />
    public string Name => "ecs";

    /// <inheritdoc />
    public bool CanParse(ReadOnlySpan<byte> body)
    {
        var i = JsonValues.SkipWhitespace(body, 0);
        return i < body.Length && body[i] is (byte)'{' or (byte)'[';
    }

    /// <inheritdoc />
    public void Parse(in TelemetryMessage message, EventBatch batch)
    {
        var body = message.Body.Span;
        switch (JsonValues.ShapeOf(body, MaxDepth, out var json))
        {
            case JsonBodyShape.Empty:
                batch.Reject(Position(message, 0), Name, "empty-body", "The body holds no JSON.", body);
                break;
            case JsonBodyShape.Array:
                ParseSequence(json, message, batch, isArray: true);
                break;
            case JsonBodyShape.Lines:
                ParseLines(json, message, batch);
                break;
            case JsonBodyShape.Sequence:
                ParseSequence(json, message, batch, isArray: false);
                break;
            default:
                batch.Reject(Position(message, 0), Name, "not-an-object", "The body is neither a JSON object nor an array.", body);
                break;
        }
    }

    /// <summary>JSON lines: each non-blank line is one record with its own reader, so a bad line costs only itself.</summary>
    private void ParseLines(ReadOnlySpan<byte> body, in TelemetryMessage message, EventBatch batch)
    {
        var record = 0;
        var offset = 0;
        while (offset < body.Length)
        {
            var newline = body[offset..].IndexOf((byte)'\n');
            var end = newline < 0 ? body.Length : offset + newline;
            var line = body[offset..end];
            offset = end + 1;
            if (JsonValues.SkipWhitespace(line, 0) >= line.Length)
            {
                continue;
            }

            ParseLine(line, message, batch, record++);
        }
    }

    private void ParseLine(ReadOnlySpan<byte> line, in TelemetryMessage message, EventBatch batch, int record)
    {
        var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(SingleValue));
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                batch.Reject(Position(message, record), Name, "not-an-object", "The line is not a JSON object.", line);
                return;
            }

            ParseRecord(ref reader, line, message, batch, record, requireEnd: true);
        }
        catch (JsonException ex)
        {
            batch.Reject(Position(message, record), Name, "malformed-json", $"Line is not valid JSON: {ex.Message}", line);
        }
    }

    /// <summary>
    /// An array of objects, or a sequence of (pretty-printed) objects. One reader spans the body, so a syntax error
    /// leaves no safe place to resume: the rest of the body is rejected as one record.
    /// </summary>
    private void ParseSequence(ReadOnlySpan<byte> body, in TelemetryMessage message, EventBatch batch, bool isArray)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(isArray ? SingleValue : MultipleValues));
        var record = 0;
        var recordStart = 0;
        try
        {
            if (isArray)
            {
                reader.Read();
            }

            while (reader.Read())
            {
                if (isArray && reader.TokenType == JsonTokenType.EndArray)
                {
                    // Anything but whitespace after the array is a syntax error, raised by the next Read.
                    reader.Read();
                    return;
                }

                recordStart = (int)reader.TokenStartIndex;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ParseRecord(ref reader, body, message, batch, record, requireEnd: false);
                }
                else
                {
                    reader.Skip();
                    batch.Reject(Position(message, record), Name, "not-an-object", "The element is not a JSON object.",
                        body[recordStart..(int)reader.BytesConsumed]);
                }

                record++;
            }

            if (isArray)
            {
                throw new JsonException("The array is not closed.");
            }
        }
        catch (JsonException ex)
        {
            batch.Reject(Position(message, record), Name, "malformed-json",
                $"Syntax error after {record} records; the rest of the body is skipped: {ex.Message}", body[recordStart..]);
        }
    }

    /// <summary>
    /// Reads one object (the reader is on its StartObject) into a new event, then commits it or rejects it.
    /// Syntax errors propagate as <see cref="JsonException"/> after the event is rolled back.
    /// </summary>
    private void ParseRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, in TelemetryMessage message, EventBatch batch, int record, bool requireEnd)
    {
        var start = (int)reader.TokenStartIndex;
        var position = Position(message, record);
        batch.BeginEvent(position, Name);
        var state = default(RecordState);
        Span<char> path = stackalloc char[MaxPathChars];
        try
        {
            ReadObject(ref reader, batch, path, 0, ref state);
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

        string? reason = state.InvalidText ? "invalid-utf8"
            : state.BadTimestamp ? "bad-timestamp"
            : !state.HasTimestamp ? "missing-timestamp"
            : null;
        if (reason is null)
        {
            batch.SetTimestamp(state.Timestamp);
            batch.CommitEvent();
            return;
        }

        batch.AbortEvent();
        var detail = reason switch
        {
            "invalid-utf8" => "A key or string value is not valid UTF-8.",
            "bad-timestamp" => "@timestamp is not an ISO-8601 time string.",
            _ => "The event has no @timestamp.",
        };
        batch.Reject(position, Name, reason, detail, buffer[start..(int)reader.BytesConsumed]);
    }

    /// <summary>Reads the members of the object the reader is in; <paramref name="prefix"/> chars of <paramref name="path"/> name it.</summary>
    private static void ReadObject(ref Utf8JsonReader reader, EventBatch batch, scoped Span<char> path, int prefix, ref RecordState state)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            var length = AppendName(ref reader, path, prefix, ref state);
            reader.Read();
            if (length < 0)
            {
                reader.Skip();
                continue;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    ReadObject(ref reader, batch, path, length, ref state);
                    break;
                case JsonTokenType.StartArray:
                    if (TryResolve(path[..length], out var arrayField))
                    {
                        ReadFirstScalar(ref reader, batch, arrayField, ref state);
                    }
                    else
                    {
                        reader.Skip();
                    }

                    break;
                default:
                    if (TryResolve(path[..length], out var field))
                    {
                        WriteScalar(ref reader, batch, field, ref state);
                    }

                    break;
            }
        }

        throw new JsonException("The object is not closed.");
    }

    /// <summary>Appends the current property name to the path; -1 when it cannot name a known field.</summary>
    private static int AppendName(ref Utf8JsonReader reader, scoped Span<char> path, int prefix, ref RecordState state)
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
            state.InvalidText = true;
            return -1;
        }

        return prefix + separator + written;
    }

    /// <summary>Resolves a path to a field telemetry may set: enrichment-only fields are never taken from input.</summary>
    private static bool TryResolve(ReadOnlySpan<char> path, out EcsField field)
        => EcsFields.TryGet(path, out field) && !EcsFields.Get(field).Enriched;

    /// <summary>Keeps the first non-null scalar of an array (ECS allows arrays; the batch holds one value per field).</summary>
    private static void ReadFirstScalar(ref Utf8JsonReader reader, EventBatch batch, EcsField field, ref RecordState state)
    {
        var taken = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
            else if (!taken && reader.TokenType != JsonTokenType.Null)
            {
                WriteScalar(ref reader, batch, field, ref state);
                taken = true;
            }
        }
    }

    private static void WriteScalar(ref Utf8JsonReader reader, EventBatch batch, EcsField field, ref RecordState state)
    {
        if (field == EcsField.Timestamp)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return;
            }

            // Last value wins, as for any repeated key; the batch writes the normalized text at commit.
            state.HasTimestamp = JsonValues.TryGetTimestamp(ref reader, out state.Timestamp);
            state.BadTimestamp = !state.HasTimestamp;
            return;
        }

        if (!JsonValues.TryWriteScalar(ref reader, batch, field))
        {
            state.InvalidText = true;
        }
    }

    private static SourcePosition Position(in TelemetryMessage message, int record) => new(message.Stream, message.Sequence, record);

    private struct RecordState
    {
        public DateTimeOffset Timestamp;
        public bool HasTimestamp;
        public bool BadTimestamp;
        public bool InvalidText;
    }
}
