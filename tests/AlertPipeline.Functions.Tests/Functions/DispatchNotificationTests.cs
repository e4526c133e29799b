using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Functions.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// The queue-triggered dispatch through the app's own composition, with the queue replaced by a list: the alert is
/// committed with pending actions, each queue message sends once, a retry goes back on the queue with its delay.
/// </summary>
public sealed class DispatchNotificationTests : IDisposable
{
    private readonly ListOutbox _queue = new();
    private readonly ScriptedChannel _teams = new("teams");
    private readonly ScriptedChannel _email = new("email");
    private readonly ScriptedChannel _shutdown = new("shutdown");
    private readonly ScriptedChannel _approval = new("approval");
    private readonly ServiceProvider _services;

    public DispatchNotificationTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<INotificationOutbox>(_queue);
        services.AddSingleton<INotificationChannel>(_teams);
        services.AddSingleton<INotificationChannel>(_email);
        services.AddSingleton<INotificationChannel>(_shutdown);
        services.AddSingleton<INotificationChannel>(_approval);
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Each_message_sends_once_a_retry_is_requeued_with_its_retry_after_and_a_redelivery_sends_nothing()
    {
        _teams.Answers.Enqueue(ChannelResult.Failed("HTTP 429 (retryable)") with { RetryAfter = TimeSpan.FromMinutes(3) });
        var alert = await RaiseHighAlertAsync();
        Assert.All(alert.Actions, a => Assert.Equal(ActionStatus.Pending, a.Status));
        var function = new DispatchNotification(
            _services.GetRequiredService<NotificationDispatcher>(), _queue, NullLogger<DispatchNotification>.Instance);
        var first = _queue.Take();
        Assert.Equal(2, first.Count);

        foreach (var (message, _) in first)
        {
            await function.RunAsync(message.ToJson(), CancellationToken.None);
        }

        var (retry, delay) = Assert.Single(_queue.Take());
        Assert.Equal(("teams", 2), (retry.Channel, retry.Delivery));
        Assert.Equal(TimeSpan.FromMinutes(3), delay);
        await function.RunAsync(retry.ToJson(), CancellationToken.None);
        foreach (var (message, _) in first)
        {
            await function.RunAsync(message.ToJson(), CancellationToken.None); // the host redelivers
        }

        var stored = (await _services.GetRequiredService<IAlertStore>().GetAsync(alert.AlertId, CancellationToken.None))!;
        Assert.Equal((ActionStatus.Sent, 1), (stored.ActionFor("email")!.Status, stored.ActionFor("email")!.Attempts));
        Assert.Equal((ActionStatus.Sent, 2), (stored.ActionFor("teams")!.Status, stored.ActionFor("teams")!.Attempts));
        Assert.Equal(1, _email.Calls);
        Assert.Equal(2, _teams.Calls);
        Assert.Empty(_queue.Take());
    }

    [Fact]
    public async Task A_held_command_queues_its_approval_request_once()
    {
        _shutdown.Answers.Enqueue(ChannelResult.AwaitingApproval("guardrail: cap reached"));
        var alert = await RaiseHighAlertAsync(AlertLevel.Critical);
        var function = new DispatchNotification(
            _services.GetRequiredService<NotificationDispatcher>(), _queue, NullLogger<DispatchNotification>.Instance);
        var first = _queue.Take();
        Assert.Equal(["email", "teams", "shutdown"], first.Select(m => m.Message.Channel));

        foreach (var (message, _) in first)
        {
            await function.RunAsync(message.ToJson(), CancellationToken.None);
        }

        var (request, delay) = Assert.Single(_queue.Take());
        Assert.Equal((alert.AlertId, "approval", TimeSpan.Zero), (request.AlertId, request.Channel, delay));
        await function.RunAsync(request.ToJson(), CancellationToken.None);
        await function.RunAsync(request.ToJson(), CancellationToken.None);
        await function.RunAsync(first[2].Message.ToJson(), CancellationToken.None); // the shutdown message redelivered

        Assert.Empty(_queue.Take());
        Assert.Equal((1, 1), (_approval.Calls, _shutdown.Calls));
        var stored = (await _services.GetRequiredService<IAlertStore>().GetAsync(alert.AlertId, CancellationToken.None))!;
        Assert.Equal(ActionStatus.AwaitingApproval, stored.ActionFor("shutdown")!.Status);
        Assert.Equal(ActionStatus.Sent, stored.ActionFor("approval")!.Status);
    }

    [Fact]
    public async Task A_message_that_is_not_ours_is_dropped_without_throwing()
    {
        var function = new DispatchNotification(
            _services.GetRequiredService<NotificationDispatcher>(), _queue, NullLogger<DispatchNotification>.Instance);

        await function.RunAsync("{\"not\":\"a notification\"}", CancellationToken.None);
        await function.RunAsync("\u001b[31mnot json", CancellationToken.None);

        Assert.Empty(_queue.Take());
    }

    private async Task<Alert> RaiseHighAlertAsync(AlertLevel level = AlertLevel.High)
    {
        var rule = new ActiveRule("default", new CompiledRule("rule-1", "Test rule", level, new MatchAll()), RuleMode.Enforce);
        var at = new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);
        var candidate = new AlertCandidate(AlertIds.For("rule-1", "sbx-7", at, TimeSpan.FromHours(1)), rule, "sbx-7", new Dictionary<string, string>());
        candidate.Events.Add(new MatchedEvent(new SourcePosition("hub/0", 1, 0), at));
        var alerts = await _services.GetRequiredService<AlertResponder>().RespondAsync([candidate], CancellationToken.None);
        return Assert.Single(alerts);
    }

    private sealed class MatchAll : EventMatcher
    {
        public override bool Matches(EventBatch batch, int index) => true;
    }

    private sealed class ScriptedChannel(string name) : INotificationChannel
    {
        public Queue<ChannelResult> Answers { get; } = new();

        public int Calls { get; private set; }

        public string Name => name;

        public Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Answers.Count > 0 ? Answers.Dequeue() : ChannelResult.Sent("HTTP 202"));
        }
    }

    private sealed class ListOutbox : INotificationOutbox
    {
        private readonly List<(NotificationMessage, TimeSpan)> _messages = [];

        public Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            _messages.Add((message, delay));
            return Task.CompletedTask;
        }

        public List<(NotificationMessage Message, TimeSpan Delay)> Take()
        {
            var taken = _messages.ToList();
            _messages.Clear();
            return taken;
        }
    }
}
