using System.Text.Json;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Adapters.Tests.Respond.Channels;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Time.Testing;
using WireMock.Server;
using MockRequest = WireMock.RequestBuilders.Request;
using MockResponse = WireMock.ResponseBuilders.Response;

namespace AlertPipeline.Adapters.Tests.Respond.Outbox;

/// <summary>
/// The outbox end to end with the real SendGrid and Teams channels against a real HTTP server on loopback:
/// the alert is committed with pending actions, a list stands in for the queue, and every message the dispatcher
/// asks to retry is redelivered (its delay recorded, not waited).
/// </summary>
public sealed class OutboxDeliveryTests : IDisposable
{
    private const string MailPath = "/v3/mail/send";
    private const string HookPath = "/workflows/hook";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly SemaphoreSlim _held = new(0);
    private readonly HttpClient _http = new();
    private readonly InMemoryAlertStore _store = new();
    private readonly InMemoryNotificationPoisonStore _poison = new();
    private readonly ListOutbox _queue = new();
    private readonly ResponderOptions _options = new() { MaxAttempts = 5, RetryBaseDelay = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        _http.Dispose();
        _held.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    [Fact]
    public async Task SendGrid_429_with_retry_after_a_500_and_a_timeout_are_retried_and_the_mail_is_delivered_once()
    {
        Script(MailPath,
            MockResponse.Create().WithStatusCode(429).WithHeader("Retry-After", "120").WithBody("""{"errors":[{"message":"too many requests"}]}"""),
            MockResponse.Create().WithStatusCode(500),
            HeldBack(202),
            MockResponse.Create().WithStatusCode(202).WithHeader("X-Message-Id", "msg-1"));
        // The channel's timeout runs on a fake clock, moved on only once the server holds the third try: no other try
        // can time out, however loaded the machine is.
        var clock = new FakeTimeProvider();
        var dispatcher = Dispatcher(Email(TimeSpan.FromSeconds(1), clock));
        var alert = await RaiseAsync(["email"]);

        var delays = await PumpAsync(dispatcher, m => m.Delivery == 3 ? clock : null);

        // Retry-After (120 s) beats the first backoff (30 s); then 60 s and 120 s of exponential backoff.
        Assert.Equal([TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120)], delays);
        var email = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!.ActionFor("email")!;
        Assert.Equal((ActionStatus.Sent, 4), (email.Status, email.Attempts));
        Assert.Contains("msg-1", email.Detail, StringComparison.Ordinal);
        var requests = Requests(MailPath);
        // The third request answered only after the channel's timeout: the client counted it failed and retried.
        Assert.Equal([429, 500, 202, 202], requests.Select(r => r.Status));

        // Every attempt carries the same idempotency key: alert and channel.
        Assert.All(requests, r => Assert.Equal($"{alert.AlertId}:email", r.IdempotencyKey));

        // The host redelivers every message once more: nothing is sent again.
        await RedeliverAllAsync(dispatcher);
        Assert.Equal(4, Requests(MailPath).Count);
        Assert.Empty(await _poison.ListAsync(alert.AlertId, CancellationToken.None));
    }

    [Fact]
    public async Task Teams_429_with_retry_after_and_500s_are_retried_and_the_card_is_posted_once()
    {
        Script(HookPath,
            MockResponse.Create().WithStatusCode(429).WithHeader("Retry-After", "45"),
            MockResponse.Create().WithStatusCode(502),
            MockResponse.Create().WithStatusCode(202));
        var dispatcher = Dispatcher(Teams(TimeSpan.FromSeconds(10)));
        var alert = await RaiseAsync(["teams"]);

        var delays = await PumpAsync(dispatcher);

        Assert.Equal([TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(60)], delays);
        var teams = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!.ActionFor("teams")!;
        Assert.Equal((ActionStatus.Sent, 3), (teams.Status, teams.Attempts));
        await RedeliverAllAsync(dispatcher);
        Assert.Equal(3, Requests(HookPath).Count);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried_and_is_visible_on_the_alert_and_in_the_poison_store()
    {
        Script(MailPath, MockResponse.Create().WithStatusCode(400).WithBody("""{"errors":[{"message":"The from address does not match a verified Sender Identity."}]}"""));
        Script(HookPath, MockResponse.Create().WithStatusCode(202));
        var dispatcher = Dispatcher(Email(TimeSpan.FromSeconds(10)), Teams(TimeSpan.FromSeconds(10)));
        var alert = await RaiseAsync(["email", "teams"]);

        var delays = await PumpAsync(dispatcher);

        Assert.Empty(delays);
        var stored = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!;
        var email = stored.ActionFor("email")!;
        Assert.Equal((ActionStatus.Failed, 1, true), (email.Status, email.Attempts, email.GaveUp));
        Assert.Contains("verified Sender Identity", email.Detail, StringComparison.Ordinal);
        Assert.Equal(ActionStatus.Sent, stored.ActionFor("teams")!.Status);
        var poisoned = Assert.Single(await _poison.ListAsync(alert.AlertId, CancellationToken.None));
        Assert.Equal("email", poisoned.Message.Channel);
        await RedeliverAllAsync(dispatcher);
        Assert.Single(Requests(MailPath));
    }

    [Fact]
    public async Task A_service_down_for_every_attempt_ends_in_the_poison_store_after_the_last_try()
    {
        Script(HookPath, MockResponse.Create().WithStatusCode(503));
        var dispatcher = Dispatcher(Teams(TimeSpan.FromSeconds(10)));
        var alert = await RaiseAsync(["teams"]);

        var delays = await PumpAsync(dispatcher);

        Assert.Equal(_options.MaxAttempts - 1, delays.Count);
        Assert.Equal(_options.MaxAttempts, Requests(HookPath).Count);
        var teams = (await _store.GetAsync(alert.AlertId, CancellationToken.None))!.ActionFor("teams")!;
        Assert.Equal((ActionStatus.Failed, _options.MaxAttempts, true), (teams.Status, teams.Attempts, teams.GaveUp));
        Assert.Single(await _poison.ListAsync(alert.AlertId, CancellationToken.None));
    }

    [Fact]
    public async Task A_redelivered_batch_queues_again_but_sends_nothing_twice()
    {
        Script(HookPath, MockResponse.Create().WithStatusCode(202));
        var dispatcher = Dispatcher(Teams(TimeSpan.FromSeconds(10)));
        var candidate = Candidate(["teams"]);
        var responder = new AlertResponder(_store, _queue, Policy(["teams"]), _options);

        await responder.RespondAsync([candidate.Candidate], CancellationToken.None);
        await responder.RespondAsync([candidate.Candidate], CancellationToken.None); // the same batch, redelivered before dispatch
        await PumpAsync(dispatcher);
        await responder.RespondAsync([candidate.Candidate], CancellationToken.None); // and again after
        await PumpAsync(dispatcher);

        Assert.Single(Requests(HookPath));
    }

    /// <summary>A response the server sends 3 s after it got the request, signalling <see cref="_held"/> on arrival.</summary>
    private WireMock.ResponseBuilders.IResponseBuilder HeldBack(int status) => MockResponse.Create().WithCallback(_ =>
    {
        _held.Release();
        Thread.Sleep(TimeSpan.FromSeconds(3)); // the server's own thread: the client has long stopped waiting
        return new WireMock.ResponseMessage { StatusCode = status };
    });

    private void Script(string path, params WireMock.ResponseBuilders.IResponseBuilder[] responses)
    {
        // Each request moves the scenario on; the last response answers every further request.
        if (responses.Length == 1)
        {
            _server.Given(MockRequest.Create().WithPath(path).UsingPost()).RespondWith(responses[0]);
            return;
        }

        for (var i = 0; i < responses.Length; i++)
        {
            var given = _server.Given(MockRequest.Create().WithPath(path).UsingPost()).InScenario(path);
            given = i == 0 ? given : given.WhenStateIs($"step{i}");
            if (i < responses.Length - 1)
            {
                given = given.WillSetStateTo($"step{i + 1}");
            }

            given.RespondWith(responses[i]);
        }
    }

    private List<(int Status, string? IdempotencyKey)> Requests(string path) =>
    [
        .. _server.LogEntries.Where(e => e.RequestMessage.Path == path).Select(e =>
        {
            string? key = null;
            if (path == MailPath)
            {
                using var body = JsonDocument.Parse(e.RequestMessage.Body!);
                key = body.RootElement.GetProperty("personalizations")[0].GetProperty("custom_args").GetProperty(SendGridChannel.IdempotencyKeyArg).GetString();
            }

            return ((int)e.ResponseMessage.StatusCode!, key);
        }),
    ];

    private SendGridChannel Email(TimeSpan timeout, TimeProvider? clock = null) => new(_http, new SendGridChannelOptions
    {
        ApiKey = "SG.test-key-not-a-secret",
        From = "alerts@example.com",
        To = "oncall@example.com",
        Host = _server.Url!,
        Timeout = timeout,
    })
    {
        Time = clock ?? TimeProvider.System,
    };

    private TeamsChannel Teams(TimeSpan timeout) => new(_http, new TeamsChannelOptions { WebhookUrl = _server.Url + HookPath, Timeout = timeout });

    private NotificationDispatcher Dispatcher(params INotificationChannel[] channels) => new(_store, channels, _poison, _options);

    private static ResponsePolicy Policy(IReadOnlyList<string> channels) => new(new Dictionary<AlertLevel, IReadOnlyList<string>> { [AlertLevel.Critical] = channels });

    private static (AlertCandidate Candidate, string AlertId) Candidate(IReadOnlyList<string> channels)
    {
        var fixedAlert = ChannelTestAlerts.Fixed();
        var rule = new ActiveRule("default", new CompiledRule(fixedAlert.RuleId, fixedAlert.Title, AlertLevel.Critical, new NeverMatches()), RuleMode.Enforce);
        var alertId = AlertIds.For(fixedAlert.RuleId, fixedAlert.SandboxId, fixedAlert.FirstSeen, TimeSpan.FromHours(1));
        var candidate = new AlertCandidate(alertId, rule, fixedAlert.SandboxId, fixedAlert.Evidence);
        candidate.Events.Add(new MatchedEvent(new Core.Events.SourcePosition("hub/0", 7, 0), fixedAlert.FirstSeen));
        return (candidate, alertId);
    }

    private async Task<Alert> RaiseAsync(IReadOnlyList<string> channels)
    {
        var responder = new AlertResponder(_store, _queue, Policy(channels), _options);
        return Assert.Single(await responder.RespondAsync([Candidate(channels).Candidate], CancellationToken.None));
    }

    /// <summary>
    /// Delivers queued messages until none is left; returns the delays the retries asked for. For a message that
    /// <paramref name="timesOut"/> gives a fake clock, that clock is moved past any timeout until the send gives up.
    /// </summary>
    private async Task<List<TimeSpan>> PumpAsync(NotificationDispatcher dispatcher, Func<NotificationMessage, FakeTimeProvider?>? timesOut = null)
    {
        var delays = new List<TimeSpan>();
        while (_queue.TryTake(out var message, out _))
        {
            var dispatch = dispatcher.DispatchAsync(message, CancellationToken.None);
            if (timesOut?.Invoke(message) is { } clock)
            {
                // The channel armed its timer before sending; once the server holds the request, time runs out.
                Assert.True(await _held.WaitAsync(TimeSpan.FromMinutes(1)), "the server never got the held-back request");
                while (!dispatch.IsCompleted)
                {
                    clock.Advance(TimeSpan.FromMinutes(1));
                    await Task.WhenAny(dispatch, Task.Delay(20));
                }
            }

            var outcome = await dispatch;
            await ServerCaughtUpAsync();
            if (outcome.Kind is DispatchKind.Retry or DispatchKind.Deferred)
            {
                delays.Add(outcome.Delay);
                await _queue.EnqueueAsync(message with { Delivery = message.Delivery + 1 }, outcome.Delay, CancellationToken.None);
            }
        }

        return delays;
    }

    /// <summary>
    /// Waits until the server has answered every request sent so far (one per attempt on the alerts): a response the
    /// channel stopped waiting for moves the scenario on only when the server finishes it.
    /// </summary>
    private async Task ServerCaughtUpAsync()
    {
        var sent = (await _store.ListAsync(10, CancellationToken.None)).SelectMany(a => a.Actions).Sum(a => a.Attempts);
        // Until it has, the scenario stays at the held-back step, and the next try would get that step's answer. A loaded
        // machine can take well over the held-back response's own 3 s, so the wait is long; it ends as soon as it caught up.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (_server.LogEntries.Count() < sent && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    private async Task RedeliverAllAsync(NotificationDispatcher dispatcher)
    {
        foreach (var message in _queue.History)
        {
            Assert.Equal(DispatchKind.Done, (await dispatcher.DispatchAsync(message, CancellationToken.None)).Kind);
        }
    }

    private sealed class NeverMatches : EventMatcher
    {
        public override bool Matches(Core.Events.EventBatch batch, int index) => false;
    }

    private sealed class ListOutbox : INotificationOutbox
    {
        private readonly Queue<(NotificationMessage, TimeSpan)> _pending = new();

        public List<NotificationMessage> History { get; } = [];

        public Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            _pending.Enqueue((message, delay));
            History.Add(message);
            return Task.CompletedTask;
        }

        public bool TryTake(out NotificationMessage message, out TimeSpan delay)
        {
            var taken = _pending.TryDequeue(out var item);
            (message, delay) = taken ? item : (null!, TimeSpan.Zero);
            return taken;
        }
    }
}
