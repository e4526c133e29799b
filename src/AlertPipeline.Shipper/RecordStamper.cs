using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Shipper;

/// <summary>
/// Turns one line into an <see cref="OutgoingEvent"/>: detects its format as the pipeline does (the same
/// <see cref="TelemetryIngestor"/>), finds the sandbox id, stamps it into a native ECS event that lacks one, and picks
/// the partition key. Lines in no known format are still shipped (the pipeline dead-letters them with a reason):
/// the shipper never decides that evidence is not worth sending.
/// </summary>
/// <remarks>
/// The sandbox id given to the shipper (<c>--sandbox</c>) is the host's word and wins as partition key; the event's own
/// <c>sandbox.id</c> is attacker-controlled text and is only used when the shipper was given none. An event whose id
/// differs from the shipper's is sent unchanged and counted, so a forging agent is visible.
/// </remarks>
public sealed class RecordStamper
{
    /// <summary>Partition key of events with no sandbox id at all.</summary>
    public const string UnattributedKey = "unattributed";

    private readonly TelemetryIngestor _ingestor = new();
    private readonly EventBatch _batch = new(4);
    private readonly string? _sandboxId;
    private readonly byte[] _stampPrefix;
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _keyLookup;

    /// <summary>Creates a stamper for a shipper that knows its sandbox (<paramref name="sandboxId"/>) or not (null).</summary>
    public RecordStamper(string? sandboxId)
    {
        _sandboxId = string.IsNullOrEmpty(sandboxId) ? null : sandboxId;
        _stampPrefix = _sandboxId is null ? [] : Encoding.UTF8.GetBytes("{\"sandbox\":{\"id\":" + JsonSerializer.Serialize(_sandboxId, ShipperJson.Default.String) + "}");
        _keyLookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Lines whose format no parser recognised.</summary>
    public long UnknownFormat { get; private set; }

    /// <summary>Events stamped with the shipper's sandbox id.</summary>
    public long Stamped { get; private set; }

    /// <summary>Events whose own sandbox id differs from the shipper's.</summary>
    public long SandboxMismatches { get; private set; }

    /// <summary>The event for <paramref name="line"/> (copied: the line's memory may be reused), or false for a blank line.</summary>
    public bool TryStamp(ReadOnlyMemory<byte> line, string source, long offset, out OutgoingEvent outgoing)
    {
        var trimmed = Trim(line);
        if (trimmed.IsEmpty)
        {
            outgoing = default;
            return false;
        }

        var format = _ingestor.Detect(trimmed.Span);
        if (format is null)
        {
            UnknownFormat++;
            outgoing = new OutgoingEvent(_sandboxId ?? UnattributedKey, trimmed.ToArray(), source, offset);
            return true;
        }

        _batch.Clear();
        format.Parse(new TelemetryMessage(trimmed, source, offset, DateTimeOffset.UnixEpoch), _batch);
        var eventSandbox = _batch.Count > 0 ? _batch.Get(0, EcsField.SandboxId) : default;
        var key = _sandboxId ?? (eventSandbox.IsEmpty ? UnattributedKey : Intern(eventSandbox));

        byte[] body;
        if (_sandboxId is not null && _batch.Count > 0 && !_batch.Has(0, EcsField.SandboxId) && trimmed.Span[0] == (byte)'{'
            && format.Name == "ecs")
        {
            body = Stamp(trimmed.Span);
            Stamped++;
        }
        else
        {
            if (_sandboxId is not null && !eventSandbox.IsEmpty && !eventSandbox.SequenceEqual(_sandboxId))
            {
                SandboxMismatches++;
            }

            body = trimmed.ToArray();
        }

        outgoing = new OutgoingEvent(key, body, source, offset);
        return true;
    }

    private byte[] Stamp(ReadOnlySpan<byte> json)
    {
        // {"sandbox":{"id":"x"}  then  } for an empty object, or , and the rest after the opening brace.
        var rest = json[1..].TrimStart(" \t"u8);
        var empty = rest.Length > 0 && rest[0] == (byte)'}';
        var body = new byte[_stampPrefix.Length + (empty ? rest.Length : 1 + rest.Length)];
        _stampPrefix.CopyTo(body, 0);
        if (empty)
        {
            rest.CopyTo(body.AsSpan(_stampPrefix.Length));
        }
        else
        {
            body[_stampPrefix.Length] = (byte)',';
            rest.CopyTo(body.AsSpan(_stampPrefix.Length + 1));
        }

        return body;
    }

    private string Intern(ReadOnlySpan<char> id)
    {
        if (_keyLookup.TryGetValue(id, out var key))
        {
            return key;
        }

        key = new string(id);
        // Attacker-chosen ids could grow this without end; past a bound new ids are simply not cached.
        if (_keys.Count < 10_000)
        {
            _keys[key] = key;
        }

        return key;
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line)
    {
        var span = line.Span;
        var start = span.StartsWith("\uFEFF"u8) ? 3 : 0;
        var end = span.Length;
        while (start < end && span[start] is (byte)' ' or (byte)'\t' or (byte)'\r')
        {
            start++;
        }

        while (end > start && span[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r')
        {
            end--;
        }

        return line[start..end];
    }
}
