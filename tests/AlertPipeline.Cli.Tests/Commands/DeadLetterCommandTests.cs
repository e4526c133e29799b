using System.Text;
using System.Text.Json;
using AlertPipeline.Adapters.Ingest;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Cli.Commands;
using AlertPipeline.Cli.DeadLetters;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>deadletter list|replay</c> against Azurite (table and blobs), with an in-memory Event Hubs sender.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterCommandTests(AzuriteFixture azurite)
{
    // The Azurite account is shared: each test uses a reason and enqueued day no other test uses.
    private readonly string _reason = "test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly DateTimeOffset _enqueued = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 3000)).AddHours(12);
    private readonly RecordingSender _sender = new();

    private TableDeadLetterStore Store => new(azurite.TableService, azurite.BlobService.GetBlobContainerClient(StorageNames.DeadLettersContainer));

    private RejectedEvent Reject(long sequence, byte[] payload, string hub = "sandbox-telemetry", string format = "ecs") =>
        new(new SourcePosition($"{hub}/2", sequence, 0), format, _reason, "unexpected end", RejectedEvent.ExcerptOf(payload))
        {
            Hub = hub,
            PartitionId = "2",
            Offset = (sequence * 512).ToString(System.Globalization.CultureInfo.InvariantCulture),
            EnqueuedTime = _enqueued.AddSeconds(sequence),
            Payload = payload,
        };

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // A namespace for the replays; the injected sender stands in for its hubs, so nothing is contacted.
        string[] hub = args is ["replay", ..] ? ["--namespace", "evhns-test"] : [];
        var code = await new DeadLetterCommand(stdout, stderr, connection => _sender.For(connection.Hub!)).RunAsync(["--storage", azurite.ConnectionString, .. hub, .. args], CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task List_prints_the_selected_dead_letters_as_text_and_json()
    {
        await Store.WriteAsync([Reject(1, "{\"a\":"u8.ToArray()), Reject(2, Encoding.UTF8.GetBytes("bad \u001b[31m text"))], CancellationToken.None);

        var text = await RunAsync("list", "--reason", _reason);
        var json = await RunAsync("list", "--reason", _reason, "--since", _enqueued.AddSeconds(2).ToString("O"), "--output", "json");

        Assert.Equal(0, text.Code);
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("sandbox-telemetry/2  #1.0  @512", lines[0], StringComparison.Ordinal);
        Assert.Contains(_reason, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text.Stdout);
        var row = JsonDocument.Parse(Assert.Single(json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("sandbox-telemetry", row.GetProperty("hub").GetString());
        Assert.Equal("2", row.GetProperty("partitionId").GetString());
        Assert.Equal("1024", row.GetProperty("offset").GetString());
        Assert.Equal(2, row.GetProperty("sequence").GetInt64());
        Assert.Equal(_enqueued.AddSeconds(2), row.GetProperty("enqueuedTime").GetDateTimeOffset());
        Assert.Equal(0, row.GetProperty("replayCount").GetInt32());
    }

    [Fact]
    public async Task Replay_resubmits_the_full_large_payload_to_its_hub_once_unless_forced()
    {
        var payload = Encoding.UTF8.GetBytes("{\"records\":[" + new string('x', 100_000) + "]}");
        var reject = Reject(7, payload);
        await Store.WriteAsync([reject], CancellationToken.None);
        var id = DeadLetterIds.For(reject, DateTimeOffset.UnixEpoch);

        var first = await RunAsync("replay", "--id", id);
        var second = await RunAsync("replay", "--id", id);
        var forced = await RunAsync("replay", "--id", id, "--force");

        Assert.Equal(0, first.Code);
        Assert.StartsWith($"sent {id}: {payload.Length} bytes to sandbox-telemetry", first.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.StartsWith($"skipped {id}: already replayed 1 time(s)", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, forced.Code);
        Assert.Equal(2, _sender.Sent.Count);
        Assert.All(_sender.Sent, s =>
        {
            Assert.Equal("sandbox-telemetry", s.Hub);
            Assert.Equal("sandbox-telemetry/2", s.PartitionKey);
            Assert.Equal(payload, s.Body);
        });
        var stored = await Store.GetAsync(id, CancellationToken.None);
        Assert.Equal(2, stored!.ReplayCount);
        Assert.NotNull(stored.ReplayedAt);
    }

    [Fact]
    public async Task Replay_since_selects_by_enqueued_time_and_a_dry_run_sends_and_marks_nothing()
    {
        await Store.WriteAsync([Reject(1, "{\"a\":"u8.ToArray()), Reject(50, "{\"b\":"u8.ToArray(), hub: "firewall-logs")], CancellationToken.None);
        var since = _enqueued.AddSeconds(10).ToString("O");

        var dry = await RunAsync("replay", "--since", since, "--reason", _reason, "--dry-run");
        var real = await RunAsync("replay", "--since", since, "--reason", _reason);

        Assert.Equal(0, dry.Code);
        Assert.Contains("would-send", dry.Stdout, StringComparison.Ordinal);
        Assert.Single(dry.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, real.Code);
        var sent = Assert.Single(_sender.Sent);
        Assert.Equal("firewall-logs", sent.Hub);
        Assert.Equal("{\"b\":"u8.ToArray(), sent.Body);
    }

    [Fact]
    public async Task Replay_refuses_to_select_everything_and_reports_unknown_ids()
    {
        var none = await CliRun.RunAsync("deadletter", "replay", "--storage", azurite.ConnectionString, "--namespace", "evhns-test");
        var unknown = await RunAsync("replay", "--id", "20310101-0000000000000000");

        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--id or --since", none.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("failed 20310101-0000000000000000: no such dead letter", unknown.Stdout, StringComparison.Ordinal);
        Assert.Empty(_sender.Sent);
    }

    [Fact]
    public void A_single_firewall_record_is_wrapped_in_its_envelope_again()
    {
        var record = "{\"category\":\"AzureFirewallNetworkRule\"}"u8.ToArray();
        var letter = new DeadLetter("x", Reject(1, record, format: "azure-firewall"), DateTimeOffset.UnixEpoch, record.Length, true);
        var envelope = "{\"records\":[{}]}"u8.ToArray();

        Assert.Equal("{\"records\":[{\"category\":\"AzureFirewallNetworkRule\"}]}", Encoding.UTF8.GetString(DeadLetterReplayer.BodyOf(letter, record)));
        Assert.Equal(envelope, DeadLetterReplayer.BodyOf(letter, envelope));
    }

    [Fact]
    public void Since_takes_a_time_or_an_age()
    {
        var now = new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);

        Assert.Equal(now.AddHours(-6), DeadLetterCommand.ParseSince("6h", now));
        Assert.Equal(now.AddDays(-2), DeadLetterCommand.ParseSince("2d", now));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), DeadLetterCommand.ParseSince("2026-01-01T00:00:00Z", now));
        Assert.Throws<UsageException>(() => DeadLetterCommand.ParseSince("yesterday", now));
    }

    private sealed class RecordingSender
    {
        public List<(string Hub, string PartitionKey, byte[] Body)> Sent { get; } = [];

        public IEventSender For(string hub) => new HubSender(this, hub);

        private sealed class HubSender(RecordingSender owner, string hub) : IEventSender
        {
            public Task<SendResult> SendAsync(string partitionKey, IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
            {
                foreach (var e in events)
                {
                    owner.Sent.Add((hub, partitionKey, e.Body.ToArray()));
                }

                return Task.FromResult(new SendResult(events.Count, events.Count, 1, events.Sum(e => e.Body.Length), [], null));
            }
        }
    }
}
