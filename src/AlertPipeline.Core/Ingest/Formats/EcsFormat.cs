using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// The native sandbox telemetry format: Elastic Common Schema JSON, one event per object. A body holds one object
/// (possibly pretty-printed), a JSON array of objects, or JSON lines. Keys may be nested objects, dotted names, or both.
/// Fields missing from <see cref="EcsFields"/> and enrichment-only fields are ignored; for an array value the first
/// non-null scalar is kept; <c>@timestamp</c> (ISO-8601) is required. See <c>docs/telemetry-schema.md</c>.
/// </summary>
public sealed class EcsFormat : JsonRecordsFormat
{
    // Known names are at most ~30 chars; longer paths can only be unknown fields, which are skipped.
    private const int MaxPathChars = 128;

    // Real events nest 3-4 levels; a low limit bounds recursion against hostile bodies.


    /// <inheritdoc />
    public override string Name => "ecs";

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var i = JsonValues.SkipWhitespace(body, 0);
        return i < body.Length && body[i] is (byte)'{' or (byte)'[';
    }

    /// <summary>
    /// Reads one object (the reader is on its StartObject) into a new event, then commits it or rejects it.
    /// Syntax errors propagate as <see cref="JsonException"/> after the event is rolled back.
    /// </summary>
    private protected override void ParseRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, SourcePosition position, EventBatch batch, bool requireEnd)
    {
        var start = (int)reader.TokenStartIndex;
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


    private struct RecordState
    {
        public DateTimeOffset Timestamp;
        public bool HasTimestamp;
        public bool BadTimestamp;
        public bool InvalidText;
    }
}
