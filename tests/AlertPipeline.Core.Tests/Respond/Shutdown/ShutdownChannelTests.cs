using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Shutdown;

public sealed class ShutdownChannelTests
{
    private const string Key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 4, TimeSpan.Zero));
    private readonly InMemoryShutdownCommandQueue _queue = new();

    private ShutdownChannel Channel(int maxPerHour = 10, IShutdownCommandQueue? queue = null, bool enabled = true, string action = "shutdown")
    {
        var inventory = new InMemorySandboxInventory(
        [
            new SandboxRecord { Id = "rl-env-7731", CommandQueue = "cmd-rl-node-7731" },
            new SandboxRecord { Id = "eval-sbx-01", Protected = true },
            new SandboxRecord { Id = "rl-env-7732" },
            new SandboxRecord { Id = "rl-env-7733" },
        ]);
        return new ShutdownChannel(queue ?? _queue, new CommandSigner(Key, "k1", _time),
            new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1), _time),
            new ShutdownOptions { MaxPerHour = maxPerHour, Enabled = enabled, Action = action }, _time);
    }

    private static Alert AlertFor(string sandbox, string id = "a1") => new()
    {
        AlertId = id,
        RuleId = "r1",
        RulePack = "default",
        Title = "Crypto miner\r\non GPUs",
        Level = AlertLevel.Critical,
        SandboxId = sandbox,
    };

    [Fact]
    public async Task Sends_a_verifiable_command_to_the_sandbox_queue()
    {
        var result = await Channel().SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);

        Assert.Equal(ActionStatus.Sent, result.Status);
        var (queue, message) = Assert.Single(_queue.Messages);
        Assert.Equal("cmd-rl-node-7731", queue);
        var command = new CommandSigner(Key, "k1", _time).Verify(message, out var reason);
        Assert.Equal("ok", reason);
        Assert.Equal("rl-env-7731", command!.SandboxId);
        Assert.Equal(ShutdownChannel.CommandIdFor("a1"), command.CommandId);
        Assert.Equal(_time.GetUtcNow().AddMinutes(10), command.ExpiresAt);
        Assert.DoesNotContain('\n', command.Reason);
    }

    [Fact]
    public async Task Default_queue_is_used_when_the_sandbox_names_none()
    {
        await Channel().SendAsync(AlertFor("rl-env-7732"), CancellationToken.None);
        Assert.Equal("sandbox-commands", Assert.Single(_queue.Messages).Queue);
    }

    [Theory]
    [InlineData("eval-sbx-01", "protected")]
    [InlineData("unattributed", "not in inventory")]
    [InlineData("attacker-chosen-id", "not in inventory")]
    public async Task Guardrails_skip_protected_and_unknown_sandboxes(string sandbox, string reason)
    {
        var result = await Channel().SendAsync(AlertFor(sandbox), CancellationToken.None);

        Assert.Equal(ActionStatus.Skipped, result.Status);
        Assert.Contains(reason, result.Detail);
        Assert.Empty(_queue.Messages);
    }

    [Fact]
    public async Task Hourly_cap_stops_a_shutdown_storm_and_resets_after_an_hour()
    {
        var channel = Channel(maxPerHour: 2);
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7731", "a1"), CancellationToken.None)).Status);
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7732", "a2"), CancellationToken.None)).Status);

        var capped = await channel.SendAsync(AlertFor("rl-env-7733", "a3"), CancellationToken.None);
        Assert.Equal(ActionStatus.AwaitingApproval, capped.Status);
        Assert.Contains("human", capped.Detail);

        _time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7731", "a4"), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_sandbox_with_an_unexpired_command_gets_no_second_one_until_it_expires()
    {
        var channel = Channel();
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7731", "miner"), CancellationToken.None)).Status);

        var second = await channel.SendAsync(AlertFor("rl-env-7731", "pool-connection"), CancellationToken.None);
        Assert.Equal(ActionStatus.Skipped, second.Status);
        Assert.Contains(ShutdownChannel.CommandIdFor("miner"), second.Detail);
        Assert.Single(_queue.Messages);

        // Other sandboxes are unaffected; after expiry the sandbox can be ordered again (it may have been restarted).
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7732", "other"), CancellationToken.None)).Status);
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(AlertFor("rl-env-7731", "later"), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Queue_failure_is_a_failed_result_and_does_not_use_up_the_cap()
    {
        var channel = Channel(maxPerHour: 1, queue: new BrokenQueue());
        var failed = await channel.SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);
        Assert.Equal(ActionStatus.Failed, failed.Status);
        Assert.Contains("cmd-rl-node-7731", failed.Detail);

        var again = await channel.SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);
        Assert.Equal(ActionStatus.Failed, again.Status); // not Skipped by the cap
    }

    [Fact]
    public async Task The_kill_switch_stops_every_command_and_says_so()
    {
        var result = await Channel(enabled: false).SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);

        Assert.Equal(ActionStatus.Skipped, result.Status);
        Assert.Contains("kill switch", result.Detail);
        Assert.Empty(_queue.Messages);
    }

    [Fact]
    public async Task The_configured_action_is_signed_into_the_command()
    {
        await Channel(action: "isolate-network").SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);

        var command = new CommandSigner(Key, "k1", _time).Verify(Assert.Single(_queue.Messages).Message, out _);
        Assert.Equal("isolate-network", command!.Action);
    }

    private sealed class BrokenQueue : IShutdownCommandQueue
    {
        public Task EnqueueAsync(string queueName, string messageJson, CancellationToken cancellationToken)
            => throw new IOException("storage unreachable");
    }
}
