using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// A JSON format whose body holds its records as one array, JSON lines, or pretty-printed objects one after another.
/// This class splits the body into records and rejects what lies between them (a line or element that is not an
/// object, a syntax error); a format only reads one record, from its <c>StartObject</c>.
/// </summary>
public abstract class JsonRecordsFormat : ITelemetryFormat
{
    /// <summary>Deepest nesting read; real records nest 5-6 levels, and the limit bounds recursion on hostile bodies.</summary>
    private protected const int MaxDepth = 32;

    private static readonly JsonReaderOptions SingleValue = new() { MaxDepth = MaxDepth };
    private static readonly JsonReaderOptions MultipleValues = new() { MaxDepth = MaxDepth, AllowMultipleValues = true };

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract bool CanParse(ReadOnlySpan<byte> body);

    /// <inheritdoc />
    public virtual int Resemblance(ReadOnlySpan<byte> body) => 0;

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

            ParseRecord(ref reader, line, Position(message, record), batch, requireEnd: true);
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
                    ParseRecord(ref reader, body, Position(message, record), batch, requireEnd: false);
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
    /// Reads one object (the reader is on its StartObject) into a new event, then commits it or rejects it, taking the
    /// rejected bytes from <paramref name="buffer"/>. Syntax errors propagate as <see cref="JsonException"/> after the
    /// event is rolled back; <paramref name="requireEnd"/> makes anything after the object a syntax error.
    /// </summary>
    private protected abstract void ParseRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, SourcePosition position, EventBatch batch, bool requireEnd);

    private static SourcePosition Position(in TelemetryMessage message, int record) => new(message.Stream, message.Sequence, record);
}
