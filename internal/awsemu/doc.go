// Package awsemu is a local stand-in for AWS STS and IAM, an independent
// test oracle for kagi: a loopback HTTP server that speaks the real query
// APIs (form-encoded POST, Action and Version, XML answers and ErrorResponse
// bodies in the services' own shapes and HTTP statuses), so that the AWS SDK
// for Go v2, botocore (the AWS CLI) and boto3 use it as they would AWS.
//
// When the world has "sso" it is also IAM Identity Center, on the same
// server: the OIDC service (RegisterClient, StartDeviceAuthorization,
// CreateToken at /client/register, /device_authorization and /token, JSON
// in and out, errors with the type in x-amzn-ErrorType and the OAuth error
// in the body), the sign-in page of the authorization-code flow (GET
// /authorize) and the device verification page (GET /device), and the
// access portal (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout
// at /federation/credentials, /assignment/accounts, /assignment/roles and
// /logout, with the token in x-amz-sso_bearer_token). It checks client
// registrations and their 90-day expiry, grant types a client registered,
// loopback redirect URIs (any port, RFC 8252), PKCE S256, single-use
// authorization and device codes (a replayed code ends the session it gave),
// device-code polling (authorization_pending, slow_down, expired_token,
// access_denied), refresh-token rotation, session and access-token lifetimes,
// logout, and assignments (ForbiddenException "No access"). A refresh token
// is issued only to clients that registered scopes, as the AWS CLI v2 does
// for an sso-session. Role credentials are STS credentials of the session
// AWSReservedSSO_<role>_<hex>/<user> (see SSORoleARN), so they can call STS
// and assume roles whose trust admits them.
//
// It is also the AWS console's sign-in for a custom identity broker
// (federation.go): STS GetFederationToken, and the federation endpoint at
// /federation (getSigninToken, which takes credentials it issued through
// AssumeRole, GetFederationToken or the portal and refuses GetSessionToken
// ones; login, which spends a single-use sign-in token at most 15 minutes
// old and redirects to /_emu/console, a page showing the signed-in ARN).
//
// What it checks, as AWS does:
//   - SigV4 on every signed request, recomputed with the AWS SDK for Go v2's
//     signer over exactly the headers the client signed: unknown keys,
//     wrong secrets, a clock more than five minutes off, a service scope that
//     does not match the action, expired temporary credentials and missing
//     or wrong session tokens are refused with STS's codes;
//   - MFA codes (RFC 6238 TOTP, one step of tolerance, each code good once);
//   - role trust: principals, aws:MultiFactorAuthPresent (kept through role
//     chaining), sts:ExternalId, sts:RoleSessionName including
//     ${aws:username}, session durations and the one-hour role-chaining cap;
//   - what temporary credentials may call: GetSessionToken credentials call
//     IAM only with MFA, no session credential calls GetSessionToken or
//     GetFederationToken, and a federated user (GetFederationToken) calls
//     no IAM operation and no STS one but GetCallerIdentity;
//   - web identity tokens: RS256 JWTs verified with the standard library
//     against the world's OIDC issuers (signature, iss, aud, exp, nbf, sub).
//
// What it does not model: IAM policies (any principal may call any action
// on its own account; only trust policies decide AssumeRole), session
// policies and tags (accepted, ignored), SigV4A and presigned (query-string)
// requests, regions (any region in the scope is accepted), MFA for role
// sessions created by AssumeRoleWithWebIdentity, and persistence: all state
// is in memory and lost when the server stops.
//
// It shares no code with kagi's credential logic and no product package may
// import it; only the AWS SDK is common to both. Faults (latency,
// throttling, HTTP 500s, short credential lifetimes) can be set in the world
// file or at run time, and counters, a request log and the current TOTP code
// of each device are exposed for tests, in Go and under /_emu/, as is a way
// to revoke a principal's sessions (Server.Revoke) and to mint Identity
// Center tokens without a browser (Server.MintSSOToken, POST /_emu/sso/token).
package awsemu
