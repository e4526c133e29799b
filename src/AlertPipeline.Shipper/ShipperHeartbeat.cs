using System.Buffers;
using System.Text.Json;

namespace AlertPipeline.Shipper;

/// <summary>
/// The shipper's own heartbeat: a native ECS event with <c>event.dataset: sandbox.heartbeat</c> (see
/// docs/telemetry-schema.md) that also names the shipper (<c>agent.*</c>) and carries its counts (<c>shipper.*</c>).
/// A sandbox whose heartbeats stop has a dead shipper or a dead host; one whose heartbeats go on but whose other
/// telemetry stops is quiet, or had its telemetry cut inside the sandbox.
/// </summary>
public static class ShipperHeartbeat
{
    /// <summary>The heartbeat body at <paramref name="now"/> with the counts in <paramref name="counters"/>.</summary>
    public static byte[] Build(DateTimeOffset now, ShipperOptions options, ShipperCounters counters, long spoolBytes)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("@timestamp", now.UtcDateTime);
            writer.WriteStartObject("event");
            writer.WriteString("kind", "state");
            writer.WriteString("dataset", "sandbox.heartbeat");
            writer.WriteString("module", "shipper");
            writer.WriteEndObject();
            writer.WriteStartObject("host");
            writer.WriteString("name", options.HostName);
            writer.WriteEndObject();
            if (options.SandboxId is not null)
            {
                writer.WriteStartObject("sandbox");
                writer.WriteString("id", options.SandboxId);
                writer.WriteEndObject();
            }

            writer.WriteStartObject("agent");
            writer.WriteString("type", "shipper");
            writer.WriteString("name", options.Name);
            writer.WriteString("version", options.Version);
            writer.WriteEndObject();
            writer.WriteStartObject("shipper");
            writer.WriteNumber("lines", counters.Lines);
            writer.WriteNumber("sent", counters.Sent);
            writer.WriteNumber("spooled", counters.Spooled);
            writer.WriteNumber("drained", counters.Drained);
            writer.WriteNumber("dropped", counters.Dropped);
            writer.WriteNumber("oversized", counters.Oversized);
            writer.WriteNumber("spool_bytes", spoolBytes);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The partition key of heartbeats: the sandbox, or the host when the shipper serves no single sandbox.</summary>
    public static string PartitionKey(ShipperOptions options) => options.SandboxId ?? "host:" + options.HostName;
}
