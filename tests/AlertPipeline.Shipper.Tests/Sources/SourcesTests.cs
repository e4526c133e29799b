using System.Text;
using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Sources;
using AlertPipeline.Shipper.Spool;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Shipper.Tests.Sources;

public sealed class SourcesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Standard_input_lines_are_shipped_in_order_including_an_unterminated_last_line()
    {
        var input = new MemoryStream(Encoding.UTF8.GetBytes(
            ShipperHarness.Line("sbx-a", "1") + "\r\n\n" + ShipperHarness.Line("sbx-a", "2") + "\n" + ShipperHarness.Line("sbx-a", "3")));
        var stdin = new StreamSource(input);
        await stdin.Completion;
        var hub = new FakeHubProducer();
        using var shipper = new TelemetryShipper([stdin], new EventHubSender(hub), new DiskSpool(_dir.File("spool"), 1024 * 1024), null,
            new ShipperOptions { HeartbeatInterval = null }, new FakeTimeProvider(), TextWriter.Null);

        Assert.Equal(3, await shipper.PumpAsync(CancellationToken.None));
        Assert.True(stdin.Finished);
        Assert.Equal(["1", "2", "3"], hub.Events.Select(e => ShipperHarness.IdOf(e.Body)));
    }

    [Fact]
    public void Positions_round_trip_and_a_damaged_state_file_means_starting_over()
    {
        var store = new PositionStore(_dir.File("positions.json"));
        store.Save([new("/var/log/a.jsonl", new FilePosition(1234, 5678, ulong.MaxValue)), new("/var/log/b\"c.jsonl", new FilePosition(1, 2))]);

        var loaded = store.Load();
        Assert.Equal(new FilePosition(1234, 5678, ulong.MaxValue), loaded["/var/log/a.jsonl"]);
        Assert.Equal(new FilePosition(1, 2), loaded["/var/log/b\"c.jsonl"]);
        Assert.False(File.Exists(store.Path + ".tmp"));

        File.WriteAllText(store.Path, "{\"files\":[{\"path\":");
        Assert.Empty(store.Load());
    }

    [Fact]
    public async Task A_file_replaced_while_the_shipper_was_stopped_is_read_from_its_start()
    {
        var log = _dir.File("telemetry.jsonl");
        ShipperHarness.Append(log, ShipperHarness.Line("sbx-a", "1"));
        var hub = new FakeHubProducer();
        var clock = new FakeTimeProvider();
        using (var first = new ShipperHarness(_dir, hub, clock, [log]))
        {
            await first.PumpAsync();
        }

        File.Delete(log);
        ShipperHarness.Append(log, ShipperHarness.Line("sbx-a", "2"), ShipperHarness.Line("sbx-a", "3"));
        using var second = new ShipperHarness(_dir, hub, clock, [log]);
        await second.PumpAsync();

        Assert.Equal(["1", "2", "3"], second.ReceivedIds()["sbx-a"]);
    }

    [Fact]
    public async Task An_event_larger_than_a_batch_is_reported_with_its_place_and_counted()
    {
        var log = _dir.File("telemetry.jsonl");
        var big = ShipperHarness.Line("sbx-a", "2").Replace("python3", new string('p', 3000), StringComparison.Ordinal);
        ShipperHarness.Append(log, ShipperHarness.Line("sbx-a", "1"), big, ShipperHarness.Line("sbx-a", "3"));
        using var ship = new ShipperHarness(_dir, new FakeHubProducer { MaxBatchBytes = 2048 }, new FakeTimeProvider(), [log]);

        await ship.PumpAsync();

        Assert.Equal(["1", "3"], ship.ReceivedIds()["sbx-a"]);
        Assert.Equal(1, ship.Shipper.Counters.Oversized);
        var offset = ShipperHarness.Line("sbx-a", "1").Length + 1;
        Assert.Contains($"{log}@{offset}: larger than the hub's batch size limit", ship.Log.ToString(), StringComparison.Ordinal);
    }
}
