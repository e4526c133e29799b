using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Shipper.Tests.ShipperHarness;

namespace AlertPipeline.Shipper.Tests;

public sealed class TelemetryShipperTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 11, 14, 3, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Each_event_goes_under_its_sandbox_id_as_partition_key()
    {
        var log = _dir.File("telemetry.jsonl");
        Append(log, Line("sbx-a", "1"), Line("sbx-b", "2"), "", Line("sbx-a", "3"), """{"not":"telemetry"}""", "garbage");
        using var ship = new ShipperHarness(_dir, new FakeHubProducer(), _clock, [log]);

        Assert.Equal(5, await ship.PumpAsync());

        var received = ship.ReceivedIds();
        Assert.Equal(["1", "3"], received["sbx-a"]);
        Assert.Equal(["2"], received["sbx-b"]);
        // Lines the pipeline will reject are still shipped, under the fallback key: the pipeline dead-letters them with a reason.
        Assert.Equal(2, ship.Hub.Events.Count(e => e.Key == RecordStamper.UnattributedKey));
        Assert.Equal(1, ship.Shipper.Stamper.UnknownFormat);
    }

    [Fact]
    public async Task The_sandbox_flag_is_the_partition_key_and_is_stamped_into_events_that_lack_an_id()
    {
        var log = _dir.File("telemetry.jsonl");
        var withoutId = """{"@timestamp":"2025-11-14T03:10:02.831Z","event":{"kind":"event","dataset":"sandbox.process","id":"9"},"process":{"name":"sh"}}""";
        Append(log, withoutId, Line("sbx-other", "10"));
        using var ship = new ShipperHarness(_dir, new FakeHubProducer(), _clock, [log],
            new ShipperOptions { SandboxId = "sbx-7\"x", HeartbeatInterval = null });

        await ship.PumpAsync();

        Assert.All(ship.Hub.Events, e => Assert.Equal("sbx-7\"x", e.Key));
        var stamped = ship.Hub.Events.First().Body;
        var batch = new EventBatch();
        new TelemetryIngestor().Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(stamped), "t", 1, _clock.GetUtcNow()), batch);
        Assert.Equal(1, batch.Count);
        Assert.Equal("sbx-7\"x", batch.GetString(0, EcsField.SandboxId));
        Assert.Equal("sh", batch.GetString(0, EcsField.ProcessName));
        // An event claiming another sandbox is sent as it is, and counted.
        Assert.Contains("sbx-other", ship.Hub.Events.Last().Body, StringComparison.Ordinal);
        Assert.Equal(1, ship.Shipper.Stamper.SandboxMismatches);
    }

    [Fact]
    public async Task A_ten_minute_outage_loses_nothing_and_keeps_each_sandboxes_order()
    {
        var log = _dir.File("telemetry.jsonl");
        var hub = new FakeHubProducer { MaxBatchBytes = 4096 };
        using var ship = new ShipperHarness(_dir, hub, _clock, [log]);
        var written = new Dictionary<string, List<string>> { ["sbx-a"] = [], ["sbx-b"] = [], ["sbx-c"] = [] };
        var next = 0;
        void Write(int count)
        {
            for (var i = 0; i < count; i++, next++)
            {
                var sandbox = (next % 7) switch { 0 or 3 or 5 => "sbx-a", 1 or 4 => "sbx-b", _ => "sbx-c" };
                written[sandbox].Add(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Append(log, Line(sandbox, written[sandbox][^1]));
            }
        }

        Write(40);
        await ship.PumpAsync();
        Assert.Equal(40, hub.Events.Count());

        // The hub goes away mid-stream for ten minutes while the sandboxes keep writing.
        hub.Down = true;
        for (var second = 0; second < 600; second += 5)
        {
            Write(13);
            await ship.PumpAsync();
            _clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.True(ship.Shipper.HubDown);
        Assert.True(ship.Shipper.Counters.Spooled >= 120 * 13);
        Assert.Contains("hub unreachable", ship.Log.ToString(), StringComparison.Ordinal);

        hub.Down = false;
        Write(13);
        for (var i = 0; i < 5 && !ship.Shipper.Idle; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(30));
            await ship.PumpAsync();
        }

        Assert.True(ship.Shipper.Idle);
        Assert.Equal(0, ship.Shipper.Counters.Dropped);
        var received = ship.ReceivedIds();
        foreach (var (sandbox, ids) in written)
        {
            Assert.Equal(ids, received[sandbox]);
        }

        Assert.Equal(next, hub.Events.Count());
        Assert.Equal(ship.Shipper.Counters.Spooled, ship.Shipper.Counters.Drained);
        Assert.Contains("hub reachable again", ship.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_spool_is_reported_loudly_and_what_it_dropped_is_counted()
    {
        var log = _dir.File("telemetry.jsonl");
        var hub = new FakeHubProducer { Down = true };
        using var ship = new ShipperHarness(_dir, hub, _clock, [log], spoolBytes: 8 * 1024);
        var lines = Enumerable.Range(0, 200).Select(i => Line("sbx-a", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        Append(log, lines);

        await ship.PumpAsync();

        var counters = ship.Shipper.Counters;
        Assert.True(counters.Dropped > 0);
        Assert.True(counters.Spooled > 0);
        Assert.Equal(200, counters.Spooled + counters.Dropped);
        Assert.Contains("SPOOL FULL", ship.Log.ToString(), StringComparison.Ordinal);
        var summary = new StringWriter();
        ship.Shipper.WriteSummary(summary);
        Assert.Contains($"dropped (spool full): {counters.Dropped}", summary.ToString(), StringComparison.Ordinal);

        // What was spooled is the oldest part, and it arrives in order once the hub is back.
        hub.Down = false;
        _clock.Advance(TimeSpan.FromMinutes(1));
        await ship.PumpAsync();
        Assert.Equal(Enumerable.Range(0, (int)counters.Spooled).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ship.ReceivedIds()["sbx-a"]);
    }

    [Fact]
    public async Task A_restarted_shipper_resumes_from_saved_positions_and_drains_the_spool_it_left()
    {
        var log = _dir.File("telemetry.jsonl");
        Append(log, Line("sbx-a", "1"), Line("sbx-a", "2"));
        var hub = new FakeHubProducer();
        using (var first = new ShipperHarness(_dir, hub, _clock, [log]))
        {
            await first.PumpAsync();
            hub.Down = true;
            Append(log, Line("sbx-a", "3"));
            await first.PumpAsync();
            Assert.Equal(1, first.Shipper.Counters.Spooled);
        }

        Append(log, Line("sbx-a", "4"));
        hub.Down = false;
        using var second = new ShipperHarness(_dir, hub, _clock, [log]);
        await second.PumpAsync();

        Assert.Equal(["1", "2", "3", "4"], second.ReceivedIds()["sbx-a"]);
        Assert.Equal(1, second.Shipper.Counters.Lines);
        // The new line queued behind the spooled one, so both were drained, in order.
        Assert.Equal(2, second.Shipper.Counters.Drained);
    }

    [Fact]
    public async Task A_rotated_file_is_read_to_its_end_and_the_new_file_from_its_start()
    {
        var log = _dir.File("telemetry.jsonl");
        Append(log, Line("sbx-a", "1"), Line("sbx-a", "2"));
        using var ship = new ShipperHarness(_dir, new FakeHubProducer(), _clock, [log]);
        await ship.PumpAsync();

        // The writer adds a last line, then logrotate renames the file and the writer opens a new one.
        Append(log, Line("sbx-a", "3"));
        File.Move(log, log + ".1");
        Append(log, Line("sbx-a", "4"), Line("sbx-a", "5"));
        await ship.PumpAsync();

        Assert.Equal(["1", "2", "3", "4", "5"], ship.ReceivedIds()["sbx-a"]);
        Assert.Equal(1, ship.Sources[0].Rotations);
    }

    [Fact]
    public async Task A_truncated_file_is_read_again_from_its_start()
    {
        var log = _dir.File("telemetry.jsonl");
        Append(log, Line("sbx-a", "1"), Line("sbx-a", "2"), Line("sbx-a", "3"));
        using var ship = new ShipperHarness(_dir, new FakeHubProducer(), _clock, [log]);
        await ship.PumpAsync();

        // copytruncate: the same file, emptied and written again.
        using (var stream = new FileStream(log, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(0);
        }

        Append(log, Line("sbx-a", "4"));
        await ship.PumpAsync();

        Assert.Equal(["1", "2", "3", "4"], ship.ReceivedIds()["sbx-a"]);
        Assert.Equal(1, ship.Sources[0].Truncations);
    }

    [Fact]
    public async Task A_partial_line_waits_for_its_end()
    {
        var log = _dir.File("telemetry.jsonl");
        var line = Line("sbx-a", "1");
        File.WriteAllText(log, line[..30]);
        using var ship = new ShipperHarness(_dir, new FakeHubProducer(), _clock, [log]);

        Assert.Equal(0, await ship.PumpAsync());
        File.AppendAllText(log, line[30..] + "\n");
        Assert.Equal(1, await ship.PumpAsync());
        Assert.Equal(["1"], ship.ReceivedIds()["sbx-a"]);
    }

    [Fact]
    public async Task Heartbeats_go_out_on_their_interval_and_read_as_sandbox_heartbeats()
    {
        var log = _dir.File("telemetry.jsonl");
        var hub = new FakeHubProducer();
        using var ship = new ShipperHarness(_dir, hub, _clock, [log],
            new ShipperOptions { SandboxId = "sbx-7", HeartbeatInterval = TimeSpan.FromSeconds(30), HostName = "gpu-node-1", Version = "1.2.3" });

        await ship.PumpAsync();
        _clock.Advance(TimeSpan.FromSeconds(20));
        await ship.PumpAsync();
        Assert.Single(hub.Events);
        _clock.Advance(TimeSpan.FromSeconds(15));
        Append(log, Line("sbx-7", "1"));
        await ship.PumpAsync();

        var heartbeats = hub.Events.Where(e => e.Body.Contains("sandbox.heartbeat", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, heartbeats.Count);
        Assert.All(heartbeats, h => Assert.Equal("sbx-7", h.Key));
        var batch = new EventBatch();
        new TelemetryIngestor().Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(heartbeats[1].Body), "t", 1, _clock.GetUtcNow()), batch);
        Assert.Equal(1, batch.Count);
        Assert.Equal("sandbox.heartbeat", batch.GetString(0, EcsField.EventDataset));
        Assert.Equal("state", batch.GetString(0, EcsField.EventKind));
        Assert.Equal("sbx-7", batch.GetString(0, EcsField.SandboxId));
        Assert.Equal("gpu-node-1", batch.GetString(0, EcsField.HostName));
        Assert.Equal(_clock.GetUtcNow(), batch.Timestamp(0));
        Assert.Contains("\"version\":\"1.2.3\"", heartbeats[1].Body, StringComparison.Ordinal);
        Assert.Contains("\"sent\":1", heartbeats[1].Body, StringComparison.Ordinal);
    }
}
