using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Shipper.Tests.Send;

public sealed class RecordedTelemetrySenderTests
{
    private static string Sample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "rome-incident", name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException(name);
    }

    [Fact]
    public async Task The_incident_is_sent_whole_in_order_per_sandbox_in_batches_within_the_limit()
    {
        var hub = new FakeHubProducer { MaxBatchBytes = 64 * 1024, PerEventOverhead = 64 };
        var telemetry = Sample("sandbox-telemetry.jsonl");
        var firewall = Sample("firewall.jsonl");
        var progress = new List<(long Done, long Total)>();
        var sender = new RecordedTelemetrySender(new EventHubSender(hub), chunk: 100);

        var failure = await sender.SendAsync([telemetry, firewall], (done, total) => progress.Add((done, total)), CancellationToken.None);

        Assert.Null(failure);
        var lines = File.ReadLines(telemetry).Concat(File.ReadLines(firewall)).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(lines.Count, sender.Read);
        Assert.Equal(lines.Count, sender.Totals.Sent);
        Assert.Equal(lines.Count, progress[^1].Done);
        Assert.All(progress, p => Assert.Equal(lines.Count, p.Total));
        Assert.All(hub.Sent, b => Assert.True(b.Bodies.Sum(x => x.Length + 64) <= 64 * 1024));
        Assert.Equal(hub.Sent.Count, sender.Totals.Batches);

        // Every sandbox's events reach one partition key in the order of the file; firewall records have no sandbox.
        foreach (var group in hub.Events.GroupBy(e => e.Key))
        {
            var expected = lines.Where(l => group.Key == RecordStamper.UnattributedKey
                ? !l.Contains("\"sandbox\":", StringComparison.Ordinal)
                : l.Contains($"\"sandbox\":{{\"id\":\"{group.Key}\"", StringComparison.Ordinal)).ToList();
            Assert.Equal(expected, group.Select(e => e.Body).ToList());
        }

        Assert.Equal(sender.Totals.PerKey.Keys.Order(), hub.Events.Select(e => e.Key).Distinct().Order());
        Assert.Equal(sender.Totals.Sent, sender.Totals.PerKey.Values.Sum(k => k.Sent));
    }

    [Fact]
    public async Task A_hub_failure_stops_the_run_and_is_returned()
    {
        var hub = new FakeHubProducer { Down = true };
        var sender = new RecordedTelemetrySender(new EventHubSender(hub));

        var failure = await sender.SendAsync([Sample("sandbox-telemetry.jsonl")], null, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.Equal(0, sender.Totals.Sent);
    }
}
