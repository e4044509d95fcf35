// Verifies a license file as any JOSE library would, with nothing of Catalog's: jose (panva/jose) and the account's
// JWK Set. Reads {"file": "<compact JWS>", "jwks": {...}, "issuer": "...", "audience": "<product code>"?} on standard
// input; prints
// {"valid": true, "header": {...}, "claims": {...}} or {"valid": false, "error": "<jose's error code>"}.
import { createLocalJWKSet, jwtVerify } from 'jose';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { file, jwks, issuer, audience } = JSON.parse(input);

try {
  const { payload, protectedHeader } = await jwtVerify(file, createLocalJWKSet(jwks), {
    algorithms: ['EdDSA'],
    typ: 'license+jwt',
    issuer,
    ...(audience ? { audience } : {}),
  });
  console.log(JSON.stringify({ valid: true, header: protectedHeader, claims: payload }));
} catch (error) {
  console.log(JSON.stringify({ valid: false, error: error.code ?? error.message }));
}
