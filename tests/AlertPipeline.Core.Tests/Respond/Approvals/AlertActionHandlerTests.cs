using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Approvals;

/// <summary>
/// Links through the handler over the real shutdown channel (signer, ledger, queue) and in-memory stores: what each
/// action changes, that a command is issued exactly once, and that forged, expired, reused and misdirected links change nothing.
/// </summary>
public sealed class AlertActionHandlerTests
{
    private const string LinkKey = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private const string CommandKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string AlertId = "5f0c3e9a7b21d4e8";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));
    private readonly InMemoryAlertStore _alerts = new();
    private readonly InMemoryShutdownCommandQueue _queue = new();
    private readonly InMemoryShutdownLedger _ledger = new();
    private readonly InMemoryAuditLog _audit = new();
    private readonly InMemoryActionNonceStore _nonces = new();
    private readonly ShutdownOptions _shutdownOptions = new() { MaxPerHour = 1 };
    private readonly ActionLinkSigner _signer;
    private readonly AlertActionHandler _handler;

    public AlertActionHandlerTests()
    {
        _signer = new ActionLinkSigner(LinkKey, "a1", _time);
        var inventory = new InMemorySandboxInventory([new SandboxRecord { Id = "rl-env-7731", CommandQueue = "cmd-7731" }, new SandboxRecord { Id = "rl-env-7732" }]);
        var shutdown = new ShutdownChannel(_queue, new CommandSigner(CommandKey, "k1", _time),
            new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1), _time), _shutdownOptions, _time, _ledger);
        _handler = new AlertActionHandler(_alerts, _nonces, _signer, _audit, shutdown, _shutdownOptions, time: _time);
    }

    private async Task<Alert> HeldAlertAsync(string id = AlertId, string sandbox = "rl-env-7731")
    {
        var alert = new Alert
        {
            AlertId = id,
            RuleId = "gpu-miner",
            RulePack = "default",
            Title = "Crypto miner on training GPUs",
            Level = AlertLevel.Critical,
            SandboxId = sandbox,
            CreatedAt = _time.GetUtcNow(),
            Actions = [new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval, Detail = "guardrail: 1 automatic commands in this window" }],
        };
        Assert.True(await _alerts.TryAddAsync(alert, CancellationToken.None));
        return alert;
    }

    private ActionLink Link(AlertAction action, string id = AlertId) => _signer.Sign(id, action, TimeSpan.FromHours(2), "ops@example.com");

    private async Task<Alert> StoredAsync(string id = AlertId) => (await _alerts.GetAsync(id, CancellationToken.None))!;

    [Fact]
    public async Task Acknowledge_sets_the_status_once_and_the_page_check_does_not_spend_the_link()
    {
        await HeldAlertAsync();
        var link = Link(AlertAction.Acknowledge);

        Assert.Equal(ActionLinkStatus.Ready, (await _handler.CheckAsync(link, CancellationToken.None)).Status);
        Assert.Equal(ActionLinkStatus.Ready, (await _handler.CheckAsync(link, CancellationToken.None)).Status);
        var done = await _handler.ExecuteAsync(link, CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Done, done.Status);
        var alert = await StoredAsync();
        Assert.Equal(AlertStatus.Acknowledged, alert.Status);
        Assert.Equal("ops@example.com (signed link)", alert.StatusBy);
        Assert.Equal(_time.GetUtcNow(), alert.StatusAt);
        Assert.Equal(ActionStatus.AwaitingApproval, alert.ActionFor("shutdown")!.Status);
        var entry = Assert.Single(await _audit.ListByAlertAsync(AlertId, 10, CancellationToken.None));
        Assert.Equal((AuditKind.Approval, "acknowledge", "acknowledged", "ops@example.com (signed link)", "rl-env-7731"), (entry.Kind, entry.Action, entry.Outcome, entry.Actor, entry.SandboxId));

        // Used: the page and the action both say so, and nothing changes.
        var etag = alert.ETag;
        Assert.Equal(ActionLinkStatus.Gone, (await _handler.CheckAsync(link, CancellationToken.None)).Status);
        Assert.Equal(ActionLinkStatus.Gone, (await _handler.ExecuteAsync(link, CancellationToken.None)).Status);
        Assert.Equal(etag, (await StoredAsync()).ETag);
    }

    [Fact]
    public async Task Approve_issues_the_held_command_past_the_fleet_cap_exactly_once()
    {
        // The cap (1) is already used by another sandbox's automatic command.
        Assert.Equal(ShutdownReservation.Reserved, (await _ledger.TryReserveAsync(
            new ShutdownOrder("rl-env-7732", "other", "c", _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(10)), 1, TimeSpan.FromHours(1), CancellationToken.None)).Reservation);
        await HeldAlertAsync();
        var fromCard = Link(AlertAction.Approve);
        var fromEmail = Link(AlertAction.Approve);

        var results = await Task.WhenAll(
            Task.Run(() => _handler.ExecuteAsync(fromCard, CancellationToken.None)),
            Task.Run(() => _handler.ExecuteAsync(fromEmail, CancellationToken.None)));

        Assert.Single(results, r => r.Status == ActionLinkStatus.Done);
        Assert.Single(results, r => r.Status == ActionLinkStatus.Conflict);
        var (queue, message) = Assert.Single(_queue.Messages);
        Assert.Equal("cmd-7731", queue);
        var command = new CommandSigner(CommandKey, "k1", _time).Verify(message, out var reason);
        Assert.Equal("ok", reason);
        Assert.Equal(ShutdownChannel.CommandIdFor(AlertId), command!.CommandId);
        Assert.StartsWith("approved by ops@example.com (signed link)", command.Reason, StringComparison.Ordinal);

        var alert = await StoredAsync();
        var record = alert.ActionFor("shutdown")!;
        Assert.Equal(ActionStatus.Sent, record.Status);
        Assert.StartsWith("approved by ops@example.com (signed link): shutdown command", record.Detail, StringComparison.Ordinal);

        // The controller's outcome is accepted only with the nonce of the command it answers.
        Assert.Equal(command.Nonce, record.CommandNonce);
        Assert.Equal(AlertStatus.Acknowledged, alert.Status);
        var audit = await _audit.ListByAlertAsync(AlertId, 10, CancellationToken.None);
        Assert.Contains(audit, e => e is { Kind: AuditKind.Approval, Action: "approve", Outcome: "sent" });
        Assert.Contains(audit, e => e is { Kind: AuditKind.Approval, Action: "approve", Outcome: "conflict" });
    }

    [Fact]
    public async Task The_kill_switch_refuses_an_approval_and_leaves_the_link_usable()
    {
        await HeldAlertAsync();
        var link = Link(AlertAction.Approve);
        _shutdownOptions.Enabled = false;

        var refused = await _handler.ExecuteAsync(link, CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Conflict, refused.Status);
        Assert.Contains("kill switch", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_queue.Messages);
        Assert.Equal(ActionStatus.AwaitingApproval, (await StoredAsync()).ActionFor("shutdown")!.Status);

        _shutdownOptions.Enabled = true;
        Assert.Equal(ActionLinkStatus.Done, (await _handler.ExecuteAsync(link, CancellationToken.None)).Status);
        Assert.Single(_queue.Messages);
    }

    [Fact]
    public async Task Dismiss_voids_the_held_command_and_a_later_approval_issues_nothing()
    {
        await HeldAlertAsync();
        var approve = Link(AlertAction.Approve);

        Assert.Equal(ActionLinkStatus.Done, (await _handler.ExecuteAsync(Link(AlertAction.Dismiss), CancellationToken.None)).Status);
        var late = await _handler.ExecuteAsync(approve, CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Conflict, late.Status);
        Assert.Empty(_queue.Messages);
        var alert = await StoredAsync();
        Assert.Equal(AlertStatus.Dismissed, alert.Status);
        Assert.Equal((ActionStatus.Skipped, "dismissed by ops@example.com (signed link): the held command is void"), (alert.ActionFor("shutdown")!.Status, alert.ActionFor("shutdown")!.Detail));
        Assert.Contains(await _audit.ListByAlertAsync(AlertId, 10, CancellationToken.None), e => e is { Action: "dismiss", Outcome: "dismissed" });
    }

    [Fact]
    public async Task Approval_respects_one_command_per_sandbox()
    {
        await HeldAlertAsync();
        await _ledger.TryReserveAsync(new ShutdownOrder("rl-env-7731", "earlier", "c0", _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(10)), 10, TimeSpan.FromHours(1), CancellationToken.None);

        var result = await _handler.ExecuteAsync(Link(AlertAction.Approve), CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Done, result.Status);
        Assert.Empty(_queue.Messages);
        var record = (await StoredAsync()).ActionFor("shutdown")!;
        Assert.Equal(ActionStatus.Skipped, record.Status);
        Assert.Contains("already ordered", record.Detail, StringComparison.Ordinal);
    }

    public static TheoryData<string, ActionLinkStatus> Bad => new()
    {
        { "forged signature", ActionLinkStatus.Forbidden },
        { "link of another alert", ActionLinkStatus.Forbidden },
        { "another action", ActionLinkStatus.Forbidden },
        { "unknown key", ActionLinkStatus.Forbidden },
        { "expired", ActionLinkStatus.Gone },
        { "alert not stored", ActionLinkStatus.NotFound },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public async Task Bad_links_change_nothing(string kind, ActionLinkStatus expected)
    {
        await HeldAlertAsync();
        await HeldAlertAsync("0f0f0f0f0f0f0f0f", "rl-env-7732");
        var good = Link(AlertAction.Approve);
        var link = kind switch
        {
            "forged signature" => good with { Signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
            "link of another alert" => good with { AlertId = "0f0f0f0f0f0f0f0f" },
            "another action" => Link(AlertAction.Acknowledge) with { Action = AlertAction.Approve },
            "unknown key" => new ActionLinkSigner("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzJi", "zz", _time).Sign(AlertId, AlertAction.Approve, TimeSpan.FromHours(1), null),
            "alert not stored" => Link(AlertAction.Approve, "ffffffffffffffff"),
            _ => good,
        };
        if (kind == "expired")
        {
            _time.Advance(TimeSpan.FromHours(3));
        }

        var before = (await StoredAsync()).ETag;
        var other = (await StoredAsync("0f0f0f0f0f0f0f0f")).ETag;
        var page = await _handler.CheckAsync(link, CancellationToken.None);
        var result = await _handler.ExecuteAsync(link, CancellationToken.None);

        Assert.Equal(expected, page.Status);
        Assert.Equal(expected, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Message));
        Assert.Empty(_queue.Messages);
        Assert.Equal(before, (await StoredAsync()).ETag);
        Assert.Equal(other, (await StoredAsync("0f0f0f0f0f0f0f0f")).ETag);
        Assert.False(await _nonces.IsUsedAsync(link, CancellationToken.None));
    }

    [Fact]
    public async Task A_queue_failure_puts_the_command_back_to_awaiting_approval_and_another_link_still_works()
    {
        await HeldAlertAsync();
        var failing = new FailingQueue();
        var inventory = new InMemorySandboxInventory([new SandboxRecord { Id = "rl-env-7731" }]);
        var shutdown = new ShutdownChannel(failing, new CommandSigner(CommandKey, "k1", _time),
            new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1), _time), _shutdownOptions, _time, _ledger);
        var handler = new AlertActionHandler(_alerts, _nonces, _signer, _audit, shutdown, _shutdownOptions, time: _time);

        var failed = await handler.ExecuteAsync(Link(AlertAction.Approve), CancellationToken.None);

        Assert.Equal(ActionLinkStatus.Failed, failed.Status);
        var record = (await StoredAsync()).ActionFor("shutdown")!;
        Assert.Equal(ActionStatus.AwaitingApproval, record.Status);
        Assert.Contains("could not be queued", record.Detail, StringComparison.Ordinal);
        Assert.Equal(ActionLinkStatus.Done, (await _handler.ExecuteAsync(Link(AlertAction.Approve), CancellationToken.None)).Status);
        Assert.Single(_queue.Messages);
    }

    private sealed class FailingQueue : IShutdownCommandQueue
    {
        public Task EnqueueAsync(string queueName, string messageJson, CancellationToken cancellationToken)
            => throw new IOException("queue unavailable");
    }

    [Fact]
    public async Task Without_a_held_command_approve_and_dismiss_are_conflicts()
    {
        var alert = await HeldAlertAsync();
        alert.Actions[0].Status = ActionStatus.Sent;
        Assert.True(await _alerts.TryUpdateAsync(alert, CancellationToken.None));

        Assert.Equal(ActionLinkStatus.Conflict, (await _handler.ExecuteAsync(Link(AlertAction.Approve), CancellationToken.None)).Status);
        Assert.Equal(ActionLinkStatus.Conflict, (await _handler.ExecuteAsync(Link(AlertAction.Dismiss), CancellationToken.None)).Status);
        Assert.Empty(_queue.Messages);
    }
}
