using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Sources;
using AlertPipeline.Shipper.Spool;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Shipper.Tests;

/// <summary>A shipper over real files in a temporary directory, a fake clock and a <see cref="FakeHubProducer"/>.</summary>
internal sealed class ShipperHarness : IDisposable
{
    public ShipperHarness(TempDirectory dir, FakeHubProducer hub, FakeTimeProvider clock, string[] files,
        ShipperOptions? options = null, long spoolBytes = 64 * 1024 * 1024)
    {
        Hub = hub;
        Clock = clock;
        var positions = new PositionStore(dir.File("positions.json"));
        var saved = positions.Load();
        Sources = [.. files.Select(f => new FileSource(f, saved.TryGetValue(f, out var p) ? p : null))];
        Shipper = new TelemetryShipper(Sources, new EventHubSender(hub), new DiskSpool(dir.File("spool"), spoolBytes), positions,
            options ?? new ShipperOptions { HeartbeatInterval = null, MaxPending = 50 }, clock, Log);
    }

    public FakeHubProducer Hub { get; }

    public FakeTimeProvider Clock { get; }

    public List<FileSource> Sources { get; }

    public TelemetryShipper Shipper { get; }

    public StringWriter Log { get; } = new();

    public Task<int> PumpAsync() => Shipper.PumpAsync(CancellationToken.None);

    public void Dispose() => Shipper.Dispose();

    /// <summary>An ECS line of <paramref name="sandbox"/> whose <c>event.id</c> is <paramref name="id"/>.</summary>
    public static string Line(string sandbox, string id)
        => $$$"""{"@timestamp":"2025-11-14T03:10:02.831Z","event":{"kind":"event","category":"process","type":"start","dataset":"sandbox.process","id":"{{{id}}}"},"sandbox":{"id":"{{{sandbox}}}"},"process":{"name":"python3"}}""";

    public static void Append(string path, params string[] lines) => File.AppendAllText(path, string.Concat(lines.Select(l => l + "\n")));

    /// <summary>The event ids received for each partition key, in the order the hub accepted them.</summary>
    public Dictionary<string, List<string>> ReceivedIds()
        => Hub.Events.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => IdOf(e.Body)).ToList());

    public static string IdOf(string body)
    {
        var eventAt = body.IndexOf("\"event\"", StringComparison.Ordinal);
        if (eventAt < 0)
        {
            return body;
        }

        var at = body.IndexOf("\"id\":\"", eventAt, StringComparison.Ordinal) + 6;
        return body[at..body.IndexOf('"', at)];
    }
}
