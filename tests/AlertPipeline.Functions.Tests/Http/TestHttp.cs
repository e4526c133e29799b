using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Tests.Http;

/// <summary>An HTTP request as the worker hands it to a function: method, URL (with query), headers and body.</summary>
internal sealed class TestHttpRequest : HttpRequestData
{
    public TestHttpRequest(FunctionContext context, string method, string pathAndQuery, byte[]? body = null, IDictionary<string, string>? headers = null)
        : base(context)
    {
        Method = method;
        Url = new Uri("https://alertpipeline.example/api/" + pathAndQuery);
        Body = new MemoryStream(body ?? []);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            Headers.TryAddWithoutValidation(name, value);
        }
    }

    public override Stream Body { get; }

    public override HttpHeadersCollection Headers { get; } = [];

    public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];

    public override Uri Url { get; }

    public override IEnumerable<ClaimsIdentity> Identities { get; } = [];

    public override string Method { get; }

    public override HttpResponseData CreateResponse() => new TestHttpResponse(FunctionContext);
}

/// <summary>The response a function built, readable by the test.</summary>
internal sealed class TestHttpResponse(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; }

    public override HttpHeadersCollection Headers { get; set; } = [];

    public override Stream Body { get; set; } = new MemoryStream();

    public override HttpCookies Cookies { get; } = new NoCookies();

    public string Text => Encoding.UTF8.GetString(((MemoryStream)Body).ToArray());

    public JsonElement Json => JsonDocument.Parse(Text).RootElement;

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private sealed class NoCookies : HttpCookies
    {
        public override void Append(string name, string value) => throw new NotSupportedException();

        public override void Append(IHttpCookie cookie) => throw new NotSupportedException();

        public override IHttpCookie CreateNew() => throw new NotSupportedException();
    }
}

/// <summary>Shorthand to build a request and read a response.</summary>
internal static class TestHttp
{
    public static TestHttpResponse Read(HttpResponseData response) => Assert.IsType<TestHttpResponse>(response);
}
