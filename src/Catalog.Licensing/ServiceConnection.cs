using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;

namespace Catalog.Licensing
{
    /// <summary>One answer of the service: its status, body, <c>Date</c> and <c>Retry-After</c>; or no answer.</summary>
    internal sealed class Answer
    {
        public int Status { get; set; }
        public string Body { get; set; } = "";
        public DateTimeOffset? Date { get; set; }
        public TimeSpan? RetryAfter { get; set; }
        /// <summary>A 401 with <c>WWW-Authenticate: License</c>: the service's refusal of the key, not a proxy's.</summary>
        public bool LicenseChallenge { get; set; }
        public LicensingError? Unreachable { get; set; }
        public bool IsSuccess => Unreachable is null && Status >= 200 && Status < 300;
    }

    /// <summary>The client endpoints over HTTP: the license key in <c>Authorization: License</c>, JSON both ways.</summary>
    internal sealed class ServiceConnection : IDisposable
    {
        private readonly HttpClient _http;
        private readonly LicensingOptions _options;

        public ServiceConnection(LicensingOptions options)
        {
            _options = options;
            _http = new HttpClient(options.HttpHandler ?? new HttpClientHandler(), disposeHandler: options.HttpHandler is null)
            {
                BaseAddress = new Uri(options.ServiceUrl!.AbsoluteUri.TrimEnd('/') + "/"),
                Timeout = System.Threading.Timeout.InfiniteTimeSpan, // each request's own timeout, below
            };
            _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Catalog.Licensing", typeof(ServiceConnection).Assembly.GetName().Version?.ToString(3) ?? "1"));
        }

        public Task<Answer> Send<TBody>(HttpMethod method, string path, TBody? body, JsonTypeInfo<TBody> type, string? idempotencyKey,
            bool authenticated, CancellationToken cancellationToken, TimeSpan? timeout = null) where TBody : class
        {
            var content = body is null ? null : new StringContent(JsonSerializer.Serialize(body, type), Encoding.UTF8, "application/json");
            return Send(method, path, content, idempotencyKey, authenticated, cancellationToken, timeout);
        }

        public async Task<Answer> Send(HttpMethod method, string path, HttpContent? content, string? idempotencyKey, bool authenticated,
            CancellationToken cancellationToken, TimeSpan? timeout = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            if (authenticated) request.Headers.Authorization = new AuthenticationHeaderValue("License", _options.LicenseKey);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout ?? _options.RequestTimeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token).ConfigureAwait(false);
                var answer = new Answer
                {
                    Status = (int)response.StatusCode,
                    Body = await response.Content.ReadAsStringAsync().ConfigureAwait(false),
                    Date = response.Headers.Date,
                };
                foreach (var challenge in response.Headers.WwwAuthenticate)
                    if (string.Equals(challenge.Scheme, "License", StringComparison.OrdinalIgnoreCase)) answer.LicenseChallenge = true;
                if (response.Headers.RetryAfter is { } retry)
                    answer.RetryAfter = retry.Delta ?? (retry.Date is { } at ? at - _options.TimeProvider.GetUtcNow() : (TimeSpan?)null);
                return answer;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new Answer { Unreachable = new LicensingError(LicensingErrorCode.Unreachable, null, null, "The service did not answer in time.") };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A network failure, a broken proxy or handler, an answer whose charset cannot be read: no usable answer.
                return new Answer { Unreachable = new LicensingError(LicensingErrorCode.Unreachable, null, null, "The service could not be reached.", e.Message) };
            }
        }

        /// <summary>The answer's <c>data</c> as <typeparamref name="T"/>, or the error it is.</summary>
        public static LicensingResult<T> Read<T>(Answer answer, JsonTypeInfo<Envelope<T>> type) where T : class
        {
            if (!answer.IsSuccess) return LicensingResult<T>.Failure(Error(answer));
            try
            {
                if (JsonSerializer.Deserialize(answer.Body, type)?.Data is { } data) return LicensingResult<T>.Of(data, answer.Date);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException) { }
            return LicensingResult<T>.Failure(Untrusted("The answer is not the service's."));
        }

        /// <summary>The error an answer is: the network's, or the service's problem details, typed.</summary>
        public static LicensingError Error(Answer answer)
        {
            if (answer.Unreachable is { } unreachable) return unreachable;
            Problem? problem = null;
            try { problem = JsonSerializer.Deserialize(answer.Body, WireJson.Default.Problem); }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException) { }
            var code = Codes.Error(answer.Status, problem?.Code);
            return new LicensingError(code, answer.Status, problem?.Code, problem?.Title ?? $"HTTP {answer.Status}", problem?.Detail,
                answer.RetryAfter, problem?.Errors) { FromService = problem?.Code is not null || answer.LicenseChallenge };
        }

        public static LicensingError Untrusted(string detail) =>
            new LicensingError(LicensingErrorCode.Untrusted, null, null, "The answer could not be trusted.", detail);

        public void Dispose() => _http.Dispose();
    }
}
