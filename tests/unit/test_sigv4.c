/* Tests for SigV4: AWS's published test-suite vectors, sign/verify round trips for SageMaker-shaped
 * requests, every refusal with its message, the credentials file, and requests signed by botocore
 * itself (python3-boto3 is a test dependency: its absence fails the test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "biasmon/isotime.h"
#include "biasmon/sigv4.h"
#include "aws/sigv4_internal.h"

/* ==================================================================================== */
/* AWS's test suite                                                                     */
/* ==================================================================================== */

/* From the Signature Version 4 test suite AWS publishes (docs.aws.amazon.com/general/latest/gr/
 * signature-v4-test-suite.html; also shipped in botocore's tests/unit/auth/aws4_testsuite):
 * the request, then the expected canonical request (.creq), string to sign (.sts) and
 * Authorization header (.authz). Every case uses the key below, 20150830T123600Z, us-east-1 and
 * the service "service". get-vanilla-with-session-token carries the token its .creq shows. */
#define SUITE_ID "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

typedef struct vector {
    const char *name, *method, *path, *query;
    bm_http_header headers[6];
    size_t nheaders;
    const char *body;
    const char *creq, *sts, *authz;
} vector;

/* clang-format off */
static const vector suite[] = {
    {
        "get-vanilla", "GET", "/", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    {
        "post-vanilla", "POST", "/", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    {
        "get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    {
        "post-x-www-form-urlencoded", "POST", "/", "",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        3, "Param1=value1",
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    },
    {
        "get-header-value-trim", "GET", "/", "",
        {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}, {"X-Amz-Date", "20150830T123600Z"}},
        4, "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    {
        "get-header-key-duplicate", "GET", "/", "",
        {{"Host", "example.amazonaws.com"}, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}, {"X-Amz-Date", "20150830T123600Z"}},
        5, "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\ndc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    {
        "get-header-value-order", "GET", "/", "",
        {{"Host", "example.amazonaws.com"}, {"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}, {"X-Amz-Date", "20150830T123600Z"}},
        6, "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    {
        "get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    {
        "get-utf8", "GET", "/\xe1""\x88""\xb4""", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    {
        "get-vanilla-query-order-encoded", "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
    },
    {
        "get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
    },
    {
        "get-vanilla-query-unreserved", "GET", "/", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    {
        "get-vanilla-utf8-query", "GET", "/", "\xe1""\x88""\xb4""=bar",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\neb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    {
        "get-vanilla-with-session-token", "GET", "/", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}, {"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
        3, "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    },
    {
        "get-relative-relative", "GET", "/example1/example2/../..", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    {
        "get-slashes", "GET", "//example//", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\ncb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    },
    {
        "get-space", "GET", "/example space/", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    },
    {
        "get-special-character", "GET", "/example/$delete", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        2, "",
        "GET\n/example/%24delete\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n4053e45b5cef7cec5e17f736b1c12b3faf0388fd4c0bd24326386f132039ce5c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27",
    },
    {
        "post-sts-header-before", "POST", "/", "",
        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}, {"X-Amz-Security-Token", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="}},
        3, "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    },
    {
        "post-x-www-form-urlencoded-parameters", "POST", "/", "",
        {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, {"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
        3, "Param1=value1",
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
    },
};
/* clang-format on */

static int64_t epoch_of(int y, int mo, int d, int h, int mi, int s)
{
    bm_civil c = {y, mo, d, h, mi, s};
    return bm_time_from_civil(&c);
}

static const bm_sigv4_key suite_key = {SUITE_ID, SUITE_SECRET};

static bm_sigv4_request vector_request(const vector *v)
{
    bm_sigv4_request r = {v->method,   v->path, v->query,       v->headers,
                          v->nheaders, v->body, strlen(v->body)};
    return r;
}

/* The value of "Name=" inside an Authorization header, as a NUL-terminated copy. */
static void authz_param(const char *authz, const char *name, char *out, size_t outlen)
{
    const char *p = strstr(authz, name);
    assert_non_null(p);
    p += strlen(name);
    size_t n = strcspn(p, ", ");
    assert_true(n < outlen);
    memcpy(out, p, n);
    out[n] = 0;
}

static void test_suite_canonical_and_string_to_sign(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        const vector *v = &suite[i];
        bm_sigv4_request req = vector_request(v);
        char signed_headers[256], hash[65], sig[65];
        authz_param(v->authz, "SignedHeaders=", signed_headers, sizeof(signed_headers));
        bm_sigv4_sha256_hex(v->body, strlen(v->body), hash);

        bm_buf creq, sts;
        bm_buf_init(&creq, BM__SIGV4_MAX_CANONICAL);
        bm_buf_init(&sts, BM__SIGV4_MAX_CANONICAL);
        assert_int_equal(bm__sigv4_canonical_request(&req, signed_headers, strlen(signed_headers),
                                                     hash, &creq, NULL),
                         BM_OK);
        if (strcmp(creq.data, v->creq) != 0) print_error("%s: canonical request\n", v->name);
        assert_string_equal(creq.data, v->creq);

        assert_int_equal(bm__sigv4_string_to_sign("20150830T123600Z",
                                                  "20150830/us-east-1/service/aws4_request", 39,
                                                  creq.data, creq.len, &sts),
                         BM_OK);
        if (strcmp(sts.data, v->sts) != 0) print_error("%s: string to sign\n", v->name);
        assert_string_equal(sts.data, v->sts);

        assert_int_equal(bm__sigv4_signature(SUITE_SECRET, "20150830", "us-east-1", 9, "service", 7,
                                             sts.data, sts.len, sig),
                         BM_OK);
        assert_non_null(strstr(v->authz, sig));
        bm_buf_release(&creq);
        bm_buf_release(&sts);
    }
}

static void test_suite_sign(void **state)
{
    (void)state;
    const int64_t t = epoch_of(2015, 8, 30, 12, 36, 0);
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        const vector *v = &suite[i];
        bm_sigv4_request req = vector_request(v);
        char date[17], authz[512];
        assert_int_equal(bm_sigv4_sign(&req, &suite_key, "us-east-1", "service", t, date,
                                       sizeof(date), authz, sizeof(authz)),
                         BM_OK);
        assert_string_equal(date, "20150830T123600Z");
        if (strcmp(authz, v->authz) != 0) print_error("%s: Authorization\n", v->name);
        assert_string_equal(authz, v->authz);
    }
}

static void test_suite_verify(void **state)
{
    (void)state;
    const int64_t t = epoch_of(2015, 8, 30, 12, 36, 0);
    const bm_sigv4_key keys[] = {{"AKIDOTHER", "other"}, suite_key};
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        const vector *v = &suite[i];
        bm_http_header hs[8];
        memcpy(hs, v->headers, v->nheaders * sizeof(hs[0]));
        hs[v->nheaders] = (bm_http_header){"Authorization", v->authz};
        bm_sigv4_request req = vector_request(v);
        req.headers = hs;
        req.nheaders = v->nheaders + 1;
        size_t idx = 99;
        char why[512] = "unset";
        assert_int_equal(
            bm_sigv4_verify(&req, keys, 2, NULL, "service", t, 900, &idx, why, sizeof(why)),
            BM_SIGV4_OK);
        assert_int_equal(idx, 1);
        assert_string_equal(why, "");
        /* and the service's own name is checked */
        assert_int_equal(
            bm_sigv4_verify(&req, keys, 2, NULL, "sagemaker", t, 900, &idx, why, sizeof(why)),
            BM_SIGV4_MISMATCH);
    }
}

/* ==================================================================================== */
/* A request under test: headers we can edit, signed with bm_sigv4_sign                  */
/* ==================================================================================== */

#define KEY_ID "BMTESTKEY00000000001"
#define KEY_SECRET "s3cr3t+SECRET/abcdefghijklmnopqrstuvwxyz"
static const bm_sigv4_key test_key = {KEY_ID, KEY_SECRET};

typedef struct treq {
    bm_http_header h[16];
    size_t n;
    char date[32], auth[1024];
    const char *body;
    bm_sigv4_request req;
} treq;

static void sync_req(treq *t)
{
    t->req.headers = t->h;
    t->req.nheaders = t->n;
    t->req.body = t->body;
    t->req.body_len = t->body ? strlen(t->body) : 0;
}

static void add(treq *t, const char *name, const char *value)
{
    assert_true(t->n < 16);
    t->h[t->n++] = (bm_http_header){name, value};
    sync_req(t);
}

/* Replaces the first header called name (any case), or adds it. */
static void set(treq *t, const char *name, const char *value)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->h[i].name, name) == 0) {
            t->h[i] = (bm_http_header){name, value};
            sync_req(t);
            return;
        }
    add(t, name, value);
}

static void del(treq *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->h[i].name, name) == 0) {
            memmove(&t->h[i], &t->h[i + 1], (t->n - i - 1) * sizeof(t->h[0]));
            t->n--;
            i--;
        }
    sync_req(t);
}

/* The request `biasmon run` and the aws CLI send to biasmon serve. */
static void sagemaker_request(treq *t, const char *body)
{
    memset(t, 0, sizeof(*t));
    t->req.method = "POST";
    t->req.path = "/";
    t->req.query = "";
    t->body = body;
    add(t, "Host", "127.0.0.1:18080");
    add(t, "Accept-Encoding", "identity");
    add(t, "X-Amz-Target", "SageMaker.DescribeMonitoringSchedule");
    add(t, "Content-Type", "application/x-amz-json-1.1");
    add(t, "User-Agent", "aws-cli/1.45.11 botocore/1.43.11");
    add(t, "Content-Length", "31");
}

static void sign_as(treq *t, const bm_sigv4_key *key, const char *service, int64_t now)
{
    del(t, "Authorization");
    del(t, "X-Amz-Date");
    assert_int_equal(bm_sigv4_sign(&t->req, key, "us-east-1", service, now, t->date,
                                   sizeof(t->date), t->auth, sizeof(t->auth)),
                     BM_OK);
    add(t, "X-Amz-Date", t->date);
    add(t, "Authorization", t->auth);
}

static bm_sigv4_result verify_at(treq *t, int64_t now, char *why, size_t whylen)
{
    const bm_sigv4_key keys[] = {{"BMOTHERKEY0000000002", "another secret"}, test_key};
    size_t idx = 99;
    bm_sigv4_result r =
        bm_sigv4_verify(&t->req, keys, 2, "us-east-1", "sagemaker", now, 900, &idx, why, whylen);
    if (r == BM_SIGV4_OK)
        assert_int_equal(idx, 1);
    else
        assert_int_equal(idx, 99);
    if (why) assert_null(strstr(why, KEY_SECRET)); /* never, whatever happened */
    if (why) assert_null(strstr(why, "another secret"));
    return r;
}

#define BODY "{\"MonitoringScheduleName\": \"x\"}"
#define MISMATCH                                                                                   \
    "The request signature we calculated does not match the signature you provided. Check your "   \
    "AWS Secret Access Key and signing method."

static int64_t T; /* 2026-11-24T10:00:00Z */

static int setup_time(void **state)
{
    (void)state;
    T = epoch_of(2026, 11, 24, 10, 0, 0);
    return 0;
}

static void test_round_trip_sagemaker(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    assert_string_equal(t.date, "20261124T100000Z");
    /* what botocore signs for this request: user-agent, accept-encoding... are left out only
     * when botocore leaves them out; content-length is signed when present in the request */
    assert_non_null(strstr(t.auth, "AWS4-HMAC-SHA256 Credential=" KEY_ID
                                   "/20261124/us-east-1/sagemaker/aws4_request, SignedHeaders="
                                   "accept-encoding;content-length;content-type;host;x-amz-date;"
                                   "x-amz-target, Signature="));
    assert_int_equal(strlen(strstr(t.auth, "Signature=")), 10 + 64);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    assert_string_equal(why, "");
    /* why and key_index may be NULL */
    const bm_sigv4_key keys[] = {test_key};
    assert_int_equal(bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T, 900, NULL, NULL, 0),
                     BM_SIGV4_OK);
    /* no service check when service is NULL */
    assert_int_equal(bm_sigv4_verify(&t.req, keys, 1, NULL, NULL, T, 900, NULL, NULL, 0),
                     BM_SIGV4_OK);

    /* exactly what the CLI signs: no accept-encoding or content-length in the signed set */
    sagemaker_request(&t, BODY);
    del(&t, "Content-Length");
    del(&t, "Accept-Encoding");
    sign_as(&t, &test_key, "sagemaker", T);
    assert_non_null(strstr(t.auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "));
    add(&t, "Accept-Encoding", "identity"); /* sent, not signed */
    add(&t, "Content-Length", "31");
    add(&t, "amz-sdk-invocation-id", "71943bbe-21f8-426f-81fc-d360b60fab61");
    add(&t, "amz-sdk-request", "attempt=1");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);

    /* an empty body ("{}" is what no-argument operations send, but empty must work too) */
    sagemaker_request(&t, "");
    sign_as(&t, &test_key, "sagemaker", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    t.req.body = NULL;
    t.req.body_len = 0;
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);

    /* with a session token (some clients are configured with one): it is signed like any header */
    sagemaker_request(&t, BODY);
    add(&t, "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE//+=");
    sign_as(&t, &test_key, "sagemaker", T);
    assert_non_null(strstr(t.auth, ";x-amz-security-token;x-amz-target,"));
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
}

static void test_sign_limits(void **state)
{
    (void)state;
    treq t;
    char date[17], small[40], authz[512];
    sagemaker_request(&t, BODY);
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date, 16, authz,
                                   sizeof(authz)),
                     BM_ELIMIT);
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date,
                                   sizeof(date), small, sizeof(small)),
                     BM_ELIMIT);
    assert_string_equal(small, "");
    /* no Host header: nothing the server would accept can be produced */
    del(&t, "Host");
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date,
                                   sizeof(date), authz, sizeof(authz)),
                     BM_EINVAL);
    sagemaker_request(&t, BODY);
    const bm_sigv4_key bad = {"BM/SLASH", "x"};
    assert_int_equal(bm_sigv4_sign(&t.req, &bad, "us-east-1", "sagemaker", T, date, sizeof(date),
                                   authz, sizeof(authz)),
                     BM_EINVAL);
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us east", "sagemaker", T, date, sizeof(date),
                                   authz, sizeof(authz)),
                     BM_EINVAL);
    add(&t, "Bad Name", "x");
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date,
                                   sizeof(date), authz, sizeof(authz)),
                     BM_EINVAL);
    /* a year beyond 9999 has no X-Amz-Date */
    sagemaker_request(&t, BODY);
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker",
                                   epoch_of(9999, 12, 31, 23, 59, 59) + 1, date, sizeof(date),
                                   authz, sizeof(authz)),
                     BM_EINVAL);
}

/* ==================================================================================== */
/* Refusals                                                                             */
/* ==================================================================================== */

static void test_missing(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISSING);
    assert_string_equal(why, "Missing Authentication Token");
    /* a presigned URL is recognised, and refused as unsupported */
    t.req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=BM%2F20261124&"
                  "X-Amz-Signature=00";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_non_null(strstr(why, "Presigned"));
    assert_int_equal(
        bm_sigv4_verify(NULL, &test_key, 1, NULL, NULL, T, 900, NULL, why, sizeof(why)),
        BM_SIGV4_MISSING);
}

/* Signs the SageMaker request, replaces its Authorization with authz (a format with one %s for
 * the real signature) and expects result and message. */
static void expect_authz(const char *authz_fmt, bm_sigv4_result expected, const char *message)
{
    treq t;
    char why[512], authz[1024], sig[65];
    sagemaker_request(&t, BODY);
    del(&t, "Accept-Encoding"); /* as the CLI: these two are sent unsigned */
    del(&t, "Content-Length");
    sign_as(&t, &test_key, "sagemaker", T);
    add(&t, "Accept-Encoding", "identity");
    add(&t, "Content-Length", "31");
    authz_param(t.auth, "Signature=", sig, sizeof(sig));
    snprintf(authz, sizeof(authz), authz_fmt, sig);
    set(&t, "Authorization", authz);
    bm_sigv4_result r = verify_at(&t, T, why, sizeof(why));
    if (r != expected || strstr(why, message) == NULL)
        print_error("Authorization: %s\n  got %d: %s\n", authz, (int)r, why);
    assert_int_equal(r, expected);
    assert_non_null(strstr(why, message));
}

#define SCOPE KEY_ID "/20261124/us-east-1/sagemaker/aws4_request"
#define SH "content-type;host;x-amz-date;x-amz-target"

static void test_malformed_authorization(void **state)
{
    (void)state;
    /* the reference: botocore's layout, and variations AWS accepts */
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_OK, "");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ",SignedHeaders=" SH ",Signature=%s",
                 BM_SIGV4_OK, "");
    expect_authz("  AWS4-HMAC-SHA256   Signature=%s , Credential=" SCOPE ", SignedHeaders=" SH "  ",
                 BM_SIGV4_OK, "");

    expect_authz("AWS4-HMAC-SHA1 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MALFORMED, "Unsupported Authorization Type");
    expect_authz("Basic QUtJRDpzZWNyZXQ=%.0s", BM_SIGV4_MALFORMED, "Unsupported Authorization");
    expect_authz("AWS4-HMAC-SHA256%.0s", BM_SIGV4_MALFORMED,
                 "Authorization header requires 'Credential' parameter. Authorization header "
                 "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                 "parameter.");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH "%.0s",
                 BM_SIGV4_MALFORMED, "Authorization header requires 'Signature' parameter.");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", Signature=%s", BM_SIGV4_MALFORMED,
                 "Authorization header requires 'SignedHeaders' parameter.");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%s, "
                 "Signature=00",
                 BM_SIGV4_MALFORMED, "more than once");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%s, "
                 "Extra=1",
                 BM_SIGV4_MALFORMED, "unknown parameter 'Extra'");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature %s",
                 BM_SIGV4_MALFORMED, "is not of the form Name=Value");
    /* malformed credentials */
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261124/us-east-1/sagemaker, "
                 "SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MALFORMED,
                 "Credential must have exactly 5 slash-delimited elements, e.g. "
                 "keyid/date/region/service/term, got '" KEY_ID "/20261124/us-east-1/sagemaker'");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE "/x, SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MALFORMED, "exactly 5 slash-delimited elements");
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "//us-east-1/sagemaker/aws4_request, "
                 "SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MALFORMED, "exactly 5 slash-delimited elements");
    expect_authz("AWS4-HMAC-SHA256 Credential=, SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MALFORMED, "exactly 5 slash-delimited elements");
    /* a client that sends its secret in the credential does not get it echoed */
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "/" KEY_SECRET "/x, SignedHeaders=" SH
                 ", Signature=%s",
                 BM_SIGV4_MALFORMED, "got '" KEY_ID "/****************************************/x'");
    expect_authz(
        "AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261124/us-east-1/sagemaker/aws5, "
        "SignedHeaders=" SH ", Signature=%s",
        BM_SIGV4_MALFORMED,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5'.");
    /* SignedHeaders */
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=content-type;;host;"
                 "x-amz-date;x-amz-target, Signature=%s",
                 BM_SIGV4_MALFORMED, "SignedHeaders must be header names separated by ';'");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=content-type;x-amz-date;"
                 "x-amz-target, Signature=%s",
                 BM_SIGV4_MALFORMED,
                 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=content-type;host;"
                 "x-amz-date, Signature=%s",
                 BM_SIGV4_MALFORMED, "'X-Amz-Target' must be a 'SignedHeader'");
    /* a name absent from the request */
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ";x-custom, "
                 "Signature=%s",
                 BM_SIGV4_MISMATCH, "the signed header 'x-custom' is not in the request");
    /* the signature: wrong length, or upper-case hex (accepted: the same digits) */
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%s0",
                 BM_SIGV4_MISMATCH, MISMATCH);
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=%.63s",
                 BM_SIGV4_MISMATCH, MISMATCH);
    expect_authz("AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=" SH ", Signature=",
                 BM_SIGV4_MISMATCH, MISMATCH);
}

static void test_uppercase_signature(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    for (char *p = strstr(t.auth, "Signature=") + 10; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    treq saved = t;

    /* no X-Amz-Date */
    del(&t, "X-Amz-Date");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_string_equal(why, "Authorization header requires existence of a 'X-Amz-Date' header.");
    /* malformed X-Amz-Date values */
    static const char *const bad_dates[] = {
        "2026-11-24T10:00:00Z",
        "20261124T100000",
        "20261124 100000Z",
        "20261124T1000000Z",
        "20261124T240000Z",
        "20261124T106000Z",
        "20261124T100060Z",
        "20261324T100000Z",
        "20260230T100000Z",
        "20250229T100000Z",
        "19691231T235959Z",
        "2026112AT100000Z",
        "",
        "Tue, 24 Nov 2026 10:00:00 GMT",
    };
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        t = saved;
        sync_req(&t);
        set(&t, "X-Amz-Date", bad_dates[i]);
        assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
        assert_non_null(strstr(why, "Date must be in ISO-8601 'basic format'. Got '"));
    }
    /* a leap day is a day */
    t = saved;
    sync_req(&t);
    set(&t, "X-Amz-Date", "20280229T100000Z");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH); /* scope date */

    /* two Authorization headers, two X-Amz-Date headers */
    t = saved;
    sync_req(&t);
    add(&t, "authorization", t.auth);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_string_equal(why, "Only one Authorization header is allowed.");
    t = saved;
    sync_req(&t);
    add(&t, "x-amz-date", t.date);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_string_equal(why, "Only one X-Amz-Date header is allowed.");

    /* X-Amz-Target present but not signed: a captured request replayed as another operation */
    sagemaker_request(&t, BODY);
    del(&t, "X-Amz-Target");
    sign_as(&t, &test_key, "sagemaker", T);
    add(&t, "X-Amz-Target", "SageMaker.DeleteMonitoringSchedule");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_string_equal(why, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
}

static void test_unknown_key(void **state)
{
    (void)state;
    treq t;
    char why[512];
    const bm_sigv4_key stranger = {"BMUNKNOWN00000000009", KEY_SECRET};
    sagemaker_request(&t, BODY);
    sign_as(&t, &stranger, "sagemaker", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_UNKNOWN_KEY);
    assert_string_equal(why, "The security token included in the request is invalid.");
    /* no keys at all */
    assert_int_equal(
        bm_sigv4_verify(&t.req, NULL, 0, NULL, "sagemaker", T, 900, NULL, why, sizeof(why)),
        BM_SIGV4_UNKNOWN_KEY);
    /* the id is compared exactly */
    const bm_sigv4_key lower = {"bmtestkey00000000001", KEY_SECRET};
    sagemaker_request(&t, BODY);
    sign_as(&t, &lower, "sagemaker", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_UNKNOWN_KEY);
}

static void test_wrong_secret(void **state)
{
    (void)state;
    treq t;
    char why[512];
    const bm_sigv4_key wrong = {KEY_ID, KEY_SECRET "x"};
    sagemaker_request(&t, BODY);
    sign_as(&t, &wrong, "sagemaker", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_string_equal(why, MISMATCH);
    /* a short why buffer is truncated, never overrun */
    char tiny[8];
    const bm_sigv4_key keys[] = {test_key};
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T, 900, NULL, tiny, sizeof(tiny)),
        BM_SIGV4_MISMATCH);
    assert_string_equal(tiny, "The req");
}

static void test_tampering(void **state)
{
    (void)state;
    treq t, saved;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    saved = t;

    /* the body */
    t.body = "{\"MonitoringScheduleName\": \"y\"}";
    sync_req(&t);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_string_equal(why, MISMATCH);
    t.req.body_len--; /* a truncated body */
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);

    /* signed headers */
    static const char *const edits[][2] = {
        {"X-Amz-Target", "SageMaker.DeleteMonitoringSchedule"},
        {"Host", "127.0.0.1:18081"},
        {"Host", "localhost:18080"},
        {"Content-Type", "application/json"},
        {"X-Amz-Date", "20261124T100001Z"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        t = saved;
        sync_req(&t);
        set(&t, edits[i][0], edits[i][1]);
        assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
        assert_string_equal(why, MISMATCH);
    }
    /* a second value for a signed header changes the canonical value ("a,b") */
    t = saved;
    sync_req(&t);
    add(&t, "x-amz-target", "SageMaker.DeleteMonitoringSchedule");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    /* a signed header taken away */
    t = saved;
    sync_req(&t);
    del(&t, "Content-Type");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_non_null(strstr(why, "the signed header 'content-type' is not in the request"));
    /* the method, path and query are signed too */
    t = saved;
    sync_req(&t);
    t.req.method = "PUT";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    t = saved;
    sync_req(&t);
    t.req.path = "/other";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    t = saved;
    sync_req(&t);
    t.req.query = "a=1";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
}

static void test_unsigned_changes_allowed(void **state)
{
    (void)state;
    treq t, saved;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    saved = t;
    /* unsigned headers change, appear or disappear */
    set(&t, "User-Agent", "something else");
    add(&t, "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793");
    add(&t, "Connection", "close");
    add(&t, "X-Forwarded-For", "10.0.0.1");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    t = saved;
    sync_req(&t);
    del(&t, "User-Agent");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    /* header-name case and whitespace around and inside signed values do not matter */
    t = saved;
    sync_req(&t);
    set(&t, "x-amz-target", "  SageMaker.DescribeMonitoringSchedule\t ");
    set(&t, "CONTENT-TYPE", "application/x-amz-json-1.1");
    set(&t, "host", "127.0.0.1:18080");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    /* the query string order is canonicalised; the signed one was empty, so any query fails,
     * but an empty piece is nothing */
    t = saved;
    sync_req(&t);
    t.req.query = "&";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    t.req.path = "//./";
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
}

static void test_expired(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "sagemaker", T);
    /* AWS's own example: signed at 10:00, received at 10:45 */
    assert_int_equal(verify_at(&t, epoch_of(2026, 11, 24, 10, 45, 0), why, sizeof(why)),
                     BM_SIGV4_EXPIRED);
    assert_string_equal(why, "Signature expired: 20261124T100000Z is now earlier than "
                             "20261124T103000Z (20261124T104500Z - 15 min.)");
    /* the edges: 900 s either way pass, 901 s do not */
    assert_int_equal(verify_at(&t, T + 900, why, sizeof(why)), BM_SIGV4_OK);
    assert_int_equal(verify_at(&t, T - 900, why, sizeof(why)), BM_SIGV4_OK);
    assert_int_equal(verify_at(&t, T + 901, why, sizeof(why)), BM_SIGV4_EXPIRED);
    assert_string_equal(why, "Signature expired: 20261124T100000Z is now earlier than "
                             "20261124T100001Z (20261124T101501Z - 15 min.)");
    assert_int_equal(verify_at(&t, T - 901, why, sizeof(why)), BM_SIGV4_EXPIRED);
    assert_string_equal(why, "Signature not yet current: 20261124T100000Z is still later than "
                             "20261124T095959Z (20261124T094459Z + 15 min.)");
    /* far away in both directions, and a skew that is not whole minutes */
    assert_int_equal(verify_at(&t, T + 86400 * 365, why, sizeof(why)), BM_SIGV4_EXPIRED);
    assert_int_equal(verify_at(&t, 0, why, sizeof(why)), BM_SIGV4_EXPIRED);
    assert_int_equal(verify_at(&t, INT64_MAX, why, sizeof(why)), BM_SIGV4_EXPIRED);
    assert_int_equal(verify_at(&t, INT64_MIN, why, sizeof(why)), BM_SIGV4_EXPIRED);
    const bm_sigv4_key keys[] = {test_key};
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T + 31, 30, NULL, why, sizeof(why)),
        BM_SIGV4_EXPIRED);
    assert_string_equal(why, "Signature expired: 20261124T100000Z is now earlier than "
                             "20261124T100001Z (20261124T100031Z - 30 s)");
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T, 0, NULL, why, sizeof(why)),
        BM_SIGV4_OK);
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T + 1, 0, NULL, why, sizeof(why)),
        BM_SIGV4_EXPIRED);
}

static void test_scope(void **state)
{
    (void)state;
    /* the scope's date must be X-Amz-Date's day */
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261123/us-east-1/sagemaker/"
                 "aws4_request, SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MISMATCH,
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                 "from HTTP: '20261123' != '20261124', from '20261124T100000Z'.");
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "/2026112/us-east-1/sagemaker/"
                 "aws4_request, SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MISMATCH, "Date in Credential scope does not match");
    /* the region must be the server's: signed for another one, the request is refused with a
     * message naming both (before the signature is even computed) */
    expect_authz("AWS4-HMAC-SHA256 Credential=" KEY_ID "/20261124/eu-west-1/sagemaker/"
                 "aws4_request, SignedHeaders=" SH ", Signature=%s",
                 BM_SIGV4_MISMATCH,
                 "Credential should be scoped to a valid region: this server's region is "
                 "'us-east-1', the request was signed for 'eu-west-1'.");
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    del(&t, "Authorization");
    char date[17], authz[512];
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "eu-west-1", "sagemaker", T, date,
                                   sizeof(date), authz, sizeof(authz)),
                     BM_OK);
    add(&t, "X-Amz-Date", date);
    add(&t, "Authorization", authz);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_string_equal(why, "Credential should be scoped to a valid region: this server's "
                             "region is 'us-east-1', the request was signed for 'eu-west-1'.");
    /* a correct signature for eu-west-1 passes where eu-west-1 is expected, or with no check */
    const bm_sigv4_key keys[] = {test_key};
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, "eu-west-1", "sagemaker", T, 900, NULL, why, sizeof(why)),
        BM_SIGV4_OK);
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T, 900, NULL, why, sizeof(why)),
        BM_SIGV4_OK);
    /* a region that only starts like the server's is another region */
    assert_int_equal(
        bm_sigv4_verify(&t.req, keys, 1, "eu-west", "sagemaker", T, 900, NULL, why, sizeof(why)),
        BM_SIGV4_MISMATCH);

    /* the wrong service */
    sagemaker_request(&t, BODY);
    sign_as(&t, &test_key, "s3", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_string_equal(why, "Credential should be scoped to correct service: 'sagemaker'.");
}

static void test_content_sha256(void **state)
{
    (void)state;
    treq t, saved;
    char why[512], hash[65];
    bm_sigv4_sha256_hex(BODY, strlen(BODY), hash);
    sagemaker_request(&t, BODY);
    add(&t, "X-Amz-Content-SHA256", hash);
    sign_as(&t, &test_key, "sagemaker", T);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_OK);
    saved = t;
    /* the declared hash must be the body's */
    t.body = "{}";
    sync_req(&t);
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MISMATCH);
    assert_string_equal(why, "The provided 'x-amz-content-sha256' header does not match what was "
                             "computed.");
    /* UNSIGNED-PAYLOAD would leave the body unprotected over plain HTTP */
    t = saved;
    sync_req(&t);
    set(&t, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
    assert_int_equal(verify_at(&t, T, why, sizeof(why)), BM_SIGV4_MALFORMED);
    assert_non_null(strstr(why, "x-amz-content-sha256 must be the hex SHA-256 of the body"));
    /* sign refuses it too */
    char date[17], authz[512];
    assert_int_equal(bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date,
                                   sizeof(date), authz, sizeof(authz)),
                     BM_EINVAL);
}

static void test_canonical_details(void **state)
{
    (void)state;
    /* paths are encoded as sent (so %20 becomes %2520), dot segments and '//' removed; queries
     * decoded ('+' is a space) and re-encoded, sorted by name then value */
    static const struct {
        const char *path, *query, *creq_head;
    } cases[] = {
        {"/a/b%20c/./d/", "", "GET\n/a/b%2520c/d/\n\n"},
        {"", "", "GET\n/\n\n"},
        {"a/../..", "", "GET\n/\n\n"},
        {"/a/b/../../../c", "", "GET\n/c\n\n"},
        {"/~user/$x", "", "GET\n/~user/%24x\n\n"},
        {"/", "b=x+y&a=%C3%A9&A=1", "GET\n/\nA=1&a=%C3%A9&b=x%20y\n"},
        {"/", "k&k=&k=v", "GET\n/\nk=&k=&k=v\n"},
        {"/", "a=%zz&b=%4&c=%41%2f", "GET\n/\na=%25zz&b=%254&c=A%2F\n"},
        {"/", "x=1&&x=0&", "GET\n/\nx=0&x=1\n"},
        {"/", "Param-3=3&Param=2", "GET\n/\nParam=2&Param-3=3\n"},
    };
    const bm_http_header hs[] = {{"Host", "h"}, {"X-A", " a \t b  "}, {"x-a", "c"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bm_sigv4_request req = {"GET", cases[i].path, cases[i].query, hs, 3, NULL, 0};
        bm_buf b;
        bm_buf_init(&b, BM__SIGV4_MAX_CANONICAL);
        assert_int_equal(bm__sigv4_canonical_request(&req, "host;x-a", 8, "HASH", &b, NULL), BM_OK);
        if (strncmp(b.data, cases[i].creq_head, strlen(cases[i].creq_head)) != 0)
            print_error("%s ? %s -> %s\n", cases[i].path, cases[i].query, b.data);
        assert_memory_equal(b.data, cases[i].creq_head, strlen(cases[i].creq_head));
        assert_string_equal(b.data + strlen(cases[i].creq_head),
                            "host:h\nx-a:a b,c\n\nhost;x-a\nHASH");
        bm_buf_release(&b);
    }
    /* a missing signed header is named */
    bm_sigv4_request req = {"GET", "/", "", hs, 3, NULL, 0};
    bm_buf b;
    bm_slice missing = {NULL, 0};
    bm_buf_init(&b, BM__SIGV4_MAX_CANONICAL);
    assert_int_equal(bm__sigv4_canonical_request(&req, "host;x-b;x-a", 12, "H", &b, &missing),
                     BM_ENOTFOUND);
    assert_int_equal(missing.n, 3);
    assert_memory_equal(missing.p, "x-b", 3);
    bm_buf_release(&b);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    treq t;
    char why[512];
    sagemaker_request(&t, BODY);
    t.req.query = "b=2&a=1";
    sign_as(&t, &test_key, "sagemaker", T);
    const bm_sigv4_key keys[] = {test_key};
    /* every allocation in turn fails: never a false OK, never a crash or leak */
    for (long n = 1; n < 40; n++) {
        bm_alloc_fail_after(n);
        bm_sigv4_result r =
            bm_sigv4_verify(&t.req, keys, 1, NULL, "sagemaker", T, 900, NULL, why, sizeof(why));
        bm_alloc_fail_after(0);
        assert_true(r == BM_SIGV4_OK || r == BM_SIGV4_MISMATCH);
        if (r == BM_SIGV4_MISMATCH) assert_non_null(strstr(why, "could not be verified"));
        char date[17], authz[512];
        bm_alloc_fail_after(n);
        int s = bm_sigv4_sign(&t.req, &test_key, "us-east-1", "sagemaker", T, date, sizeof(date),
                              authz, sizeof(authz));
        bm_alloc_fail_after(0);
        assert_true(s == BM_OK || s == BM_ENOMEM);
    }
}

/* ==================================================================================== */
/* The credentials file                                                                 */
/* ==================================================================================== */

static void make_tmpdir(char *dir, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, n, "%s/bm-sigv4-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void remove_tmpdir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/credentials", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_credentials_create_and_reload(void **state)
{
    (void)state;
    char dir[4096], path[4200], id[32], secret[64], id2[32], secret2[64];
    bm_error err;
    make_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/credentials", dir);

    mode_t old = umask(0); /* the mode must not depend on the umask */
    int r = bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err);
    umask(old);
    assert_int_equal(r, BM_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(strlen(id), 20);
    assert_memory_equal(id, "BM", 2);
    for (size_t i = 2; i < 20; i++)
        assert_true((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9'));
    assert_int_equal(strlen(secret), 40);
    for (size_t i = 0; i < 40; i++)
        assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                           secret[i]) != NULL);

    /* the file says what was returned, and loading again returns the same */
    char text[256], expect[256];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    snprintf(expect, sizeof(expect), "access_key_id=%s\nsecret_access_key=%s\n", id, secret);
    assert_string_equal(text, expect);
    assert_int_equal(bm_credentials_load(dir, id2, sizeof(id2), secret2, sizeof(secret2), &err),
                     BM_OK);
    assert_string_equal(id2, id);
    assert_string_equal(secret2, secret);

    /* buffers too small */
    assert_int_equal(bm_credentials_load(dir, id2, 20, secret2, sizeof(secret2), &err), BM_ELIMIT);
    assert_int_equal(bm_credentials_load(dir, id2, sizeof(id2), secret2, 40, &err), BM_ELIMIT);

    /* a second data directory gets other keys */
    char dir2[4096];
    make_tmpdir(dir2, sizeof(dir2));
    assert_int_equal(bm_credentials_load(dir2, id2, sizeof(id2), secret2, sizeof(secret2), &err),
                     BM_OK);
    assert_string_not_equal(id2, id);
    assert_string_not_equal(secret2, secret);
    remove_tmpdir(dir2);
    remove_tmpdir(dir);
}

static void test_credentials_permissions(void **state)
{
    (void)state;
    char dir[4096], path[4200], id[32], secret[64];
    bm_error err;
    make_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/credentials", dir);
    write_file(path, "access_key_id=BMHANDWRITTEN00000001\nsecret_access_key=abc\n", 0644);
    bm_error_clear(&err);
    assert_int_equal(bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err),
                     BM_EINVAL);
    assert_int_equal(err.code, BM_EINVAL);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "0644"));
    assert_null(strstr(err.msg, "abc"));
    static const mode_t refused[] = {0640, 0604, 0660, 0606, 0620, 0602, 0610, 0601, 0777};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(chmod(path, refused[i]), 0);
        assert_int_equal(bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err),
                         BM_EINVAL);
    }
    /* 0600 and 0400 are fine, and a hand-written file is taken as it is */
    static const mode_t accepted[] = {0600, 0400};
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        assert_int_equal(chmod(path, accepted[i]), 0);
        assert_int_equal(bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err),
                         BM_OK);
        assert_string_equal(id, "BMHANDWRITTEN00000001");
        assert_string_equal(secret, "abc");
    }
    assert_int_equal(chmod(path, 0600), 0);
    remove_tmpdir(dir);

    /* not a regular file */
    make_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/credentials", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err),
                     BM_EINVAL);
    assert_int_equal(rmdir(path), 0);
    remove_tmpdir(dir);

    /* no such directory */
    assert_int_equal(
        bm_credentials_load("/nonexistent/bm-sigv4", id, sizeof(id), secret, sizeof(secret), &err),
        BM_EIO);
}

static void test_credentials_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        long line;
    } cases[] = {
        {"# biasmon keys\r\n\r\n  secret_access_key = s/+x \r\naccess_key_id=BM_1\r\n", BM_OK, 0},
        {"access_key_id=BM1\n", BM_EPARSE, 0},
        {"secret_access_key=x\n", BM_EPARSE, 0},
        {"access_key_id=BM1\nsecret_access_key=x\naccess_key_id=BM2\n", BM_EPARSE, 3},
        {"access_key_id=BM1\nsecret_access_key=x\nregion=us-east-1\n", BM_EPARSE, 3},
        {"access_key_id=BM/1\nsecret_access_key=x\n", BM_EPARSE, 1},
        {"access_key_id=\nsecret_access_key=x\n", BM_EPARSE, 1},
        {"access_key_id=BM1\nsecret_access_key=x y\n", BM_EPARSE, 2},
        {"access_key_id BM1\nsecret_access_key=x\n", BM_EPARSE, 1},
        {"", BM_EPARSE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[4096], path[4200], id[32], secret[64];
        bm_error err;
        make_tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/credentials", dir);
        write_file(path, cases[i].text, 0600);
        bm_error_clear(&err);
        int r = bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err);
        if (r != cases[i].code) print_error("case %zu: %d %s\n", i, r, err.msg);
        assert_int_equal(r, cases[i].code);
        if (r == BM_OK) {
            assert_string_equal(id, "BM_1");
            assert_string_equal(secret, "s/+x");
        } else {
            assert_int_equal(err.line, cases[i].line);
            assert_string_equal(err.file, path);
        }
        remove_tmpdir(dir);
    }
    /* an oversized file */
    char dir[4096], path[4200], id[32], secret[64], big[5000];
    bm_error err;
    memset(big, '#', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    make_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/credentials", dir);
    write_file(path, big, 0600);
    assert_int_equal(bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err),
                     BM_EINVAL);
    remove_tmpdir(dir);
}

/* Several processes starting on a fresh data directory at once all end up with the same keys. */
static void test_credentials_race(void **state)
{
    (void)state;
    char dir[4096];
    make_tmpdir(dir, sizeof(dir));
    enum { N = 6 };
    int fds[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char id[32], secret[64], line[128];
            bm_error err;
            int r = bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err);
            int n = r == BM_OK ? snprintf(line, sizeof(line), "%s %s", id, secret)
                               : snprintf(line, sizeof(line), "error %d %s", r, err.msg);
            ssize_t w = write(fds[i][1], line, (size_t)n);
            _exit(w == n ? 0 : 1);
        }
        close(fds[i][1]);
    }
    char first[128] = "";
    for (int i = 0; i < N; i++) {
        char line[128];
        ssize_t n = read(fds[i][0], line, sizeof(line) - 1);
        close(fds[i][0]);
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(n > 0);
        line[n] = 0;
        assert_null(strstr(line, "error"));
        if (i == 0) memcpy(first, line, (size_t)n + 1);
        assert_string_equal(line, first);
    }
    remove_tmpdir(dir);
}

/* ==================================================================================== */
/* What botocore itself signs                                                           */
/* ==================================================================================== */

/* Signs a request with botocore.auth.SigV4Auth at a fixed time (2026-11-24T10:00:00Z) and
 * prints what goes on the wire: PATH, QUERY, BODY (hex) and the headers, Host as botocore
 * computes it for signing (urllib3 sends the same). Works with botocore 1.29 (Debian's
 * python3-boto3) through 1.4x. */
static const char botocore_script[] =
    "import datetime, sys, types, urllib.parse\n"
    "try:\n"
    "    import botocore.auth\n"
    "    from botocore.awsrequest import AWSRequest\n"
    "    from botocore.credentials import Credentials\n"
    "except ImportError as e:\n"
    "    sys.stderr.write('botocore is not importable (%s); install python3-boto3\\n' % e)\n"
    "    sys.exit(3)\n"
    "FIXED = datetime.datetime(2026, 11, 24, 10, 0, 0)\n"
    "class _DT(datetime.datetime):\n"
    "    @classmethod\n"
    "    def utcnow(cls):\n"
    "        return FIXED\n"
    "    @classmethod\n"
    "    def now(cls, tz=None):\n"
    "        return FIXED if tz is None else FIXED.replace(tzinfo=tz)\n"
    "botocore.auth.datetime = types.SimpleNamespace(datetime=_DT, timedelta=datetime.timedelta,\n"
    "                                               timezone=datetime.timezone)\n"
    "if hasattr(botocore.auth, 'get_current_datetime'):\n"
    "    botocore.auth.get_current_datetime = lambda *a, **k: FIXED\n"
    "case = sys.argv[1]\n"
    "token = 'FQoGZXIvYXdzEXAMPLE//+=' if case == 'token' else None\n"
    "creds = Credentials('" KEY_ID "', '" KEY_SECRET "', token)\n"
    "if case == 'query':\n"
    "    req = AWSRequest(method='GET', url='http://127.0.0.1:18080/a/b%20c/./d/',\n"
    "                     params={'b': 'x y', 'a': '\\u00e9', 'A': '1+1'},\n"
    "                     headers={'X-Amz-Target': 'SageMaker.ListMonitoringSchedules'})\n"
    "else:\n"
    "    req = AWSRequest(method='POST', url='http://127.0.0.1:18080/',\n"
    "                     data=b'{\"MonitoringScheduleName\": \"x\"}',\n"
    "                     headers={'Content-Type': 'application/x-amz-json-1.1',\n"
    "                              'X-Amz-Target': 'SageMaker.DescribeMonitoringSchedule',\n"
    "                              'User-Agent': 'Boto3/test'})\n"
    "botocore.auth.SigV4Auth(creds, 'sagemaker', 'us-east-1').add_auth(req)\n"
    "p = req.prepare()\n"
    "u = urllib.parse.urlsplit(p.url)\n"
    "print('PATH\\t' + u.path)\n"
    "print('QUERY\\t' + u.query)\n"
    "print('BODY\\t' + (p.body or b'').hex())\n"
    "print('H\\tHost\\t' + botocore.auth._host_from_url(req.url))\n"
    "for k, v in p.headers.items():\n"
    "    print('H\\t%s\\t%s' % (k, v))\n";

typedef struct wire {
    char text[8192];
    char *path, *query, *names[32], *values[32];
    bm_http_header h[32];
    size_t n;
    char body[1024];
    size_t body_len;
} wire;

/* Runs the script; 0 when python3 or botocore is missing (the caller fails the test). */
static int run_botocore(const char *script_path, const char *which, wire *w)
{
    const char *python = getenv("BM_PYTHON");
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "%s %s %s", python && *python ? python : "python3", script_path,
             which);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(w->text, 1, sizeof(w->text) - 1, p);
    int status = pclose(p);
    w->text[n] = 0;
    if (status != 0) {
        print_error("`%s` failed (status %d): python3 with botocore is required for this test "
                    "(Debian: apt-get install python3-boto3; or set BM_PYTHON)\n",
                    cmd, status);
        return 0;
    }
    w->n = 0;
    w->path = w->query = NULL;
    w->body_len = 0;
    for (char *line = w->text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab++ = 0;
        if (strcmp(line, "PATH") == 0) {
            w->path = tab;
        } else if (strcmp(line, "QUERY") == 0) {
            w->query = tab;
        } else if (strcmp(line, "BODY") == 0) {
            size_t hl = strlen(tab);
            assert_true(hl % 2 == 0 && hl / 2 < sizeof(w->body));
            for (size_t i = 0; i < hl / 2; i++) {
                unsigned v;
                assert_int_equal(sscanf(tab + 2 * i, "%2x", &v), 1);
                w->body[i] = (char)v;
            }
            w->body_len = hl / 2;
        } else {
            assert_string_equal(line, "H");
            char *tab2 = strchr(tab, '\t');
            assert_non_null(tab2);
            *tab2++ = 0;
            assert_true(w->n < 32);
            w->h[w->n++] = (bm_http_header){tab, tab2};
        }
    }
    assert_non_null(w->path);
    assert_non_null(w->query);
    return 1;
}

static const char *wire_header(const wire *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcasecmp(w->h[i].name, name) == 0) return w->h[i].value;
    return NULL;
}

static void test_botocore_signed(void **state)
{
    (void)state;
    char script[4096];
    make_tmpdir(script, sizeof(script) - 16);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", script);
    int n = snprintf(script, sizeof(script), "%s/sign.py", dir);
    assert_true(n > 0 && (size_t)n < sizeof(script));
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(botocore_script, f);
    fclose(f);

    static const char *const cases[] = {"plain", "token", "query"};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        wire w;
        char why[512];
        if (!run_botocore(script, cases[c], &w)) {
            unlink(script);
            rmdir(dir);
            fail_msg("botocore did not sign the request");
        }
        const char *authz = wire_header(&w, "Authorization");
        assert_non_null(authz);
        assert_string_equal(wire_header(&w, "X-Amz-Date"), "20261124T100000Z");
        assert_string_equal(wire_header(&w, "Host"), "127.0.0.1:18080");
        if (c == 0)
            assert_non_null(strstr(authz, "Credential=" SCOPE ", SignedHeaders=content-type;host;"
                                          "x-amz-date;x-amz-target, Signature="));
        if (c == 1)
            assert_non_null(strstr(authz, "SignedHeaders=content-type;host;x-amz-date;"
                                          "x-amz-security-token;x-amz-target, Signature="));
        if (c == 2) {
            assert_non_null(strstr(authz, "SignedHeaders=host;x-amz-date;x-amz-target, "));
            assert_string_equal(w.path, "/a/b%20c/./d/");
        }

        bm_sigv4_request req = {
            c == 2 ? "GET" : "POST", w.path, w.query, w.h, w.n, w.body, w.body_len};
        const bm_sigv4_key keys[] = {test_key};
        size_t idx = 9;
        bm_sigv4_result r =
            bm_sigv4_verify(&req, keys, 1, NULL, "sagemaker", T + 60, 900, &idx, why, sizeof(why));
        if (r != BM_SIGV4_OK) print_error("%s: %s\n%s\n", cases[c], why, w.text);
        assert_int_equal(r, BM_SIGV4_OK);
        assert_int_equal(idx, 0);

        /* our signer produces botocore's Authorization header for the same request */
        bm_http_header unsigned_h[32];
        size_t m = 0;
        for (size_t i = 0; i < w.n; i++)
            if (strcasecmp(w.h[i].name, "Authorization") && strcasecmp(w.h[i].name, "X-Amz-Date") &&
                strcasecmp(w.h[i].name, "Content-Length"))
                unsigned_h[m++] = w.h[i];
        bm_sigv4_request again = req;
        again.headers = unsigned_h;
        again.nheaders = m;
        char date[17], ours[1024];
        assert_int_equal(bm_sigv4_sign(&again, &test_key, "us-east-1", "sagemaker", T, date,
                                       sizeof(date), ours, sizeof(ours)),
                         BM_OK);
        assert_string_equal(ours, authz);

        /* and the check is not vacuous: the same headers with another body fail */
        req.body_len = w.body_len ? w.body_len - 1 : 0;
        req.query = c == 2 ? "" : "x=1";
        assert_int_equal(
            bm_sigv4_verify(&req, keys, 1, NULL, "sagemaker", T, 900, NULL, why, sizeof(why)),
            BM_SIGV4_MISMATCH);
    }
    unlink(script);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_canonical_and_string_to_sign),
        cmocka_unit_test(test_suite_sign),
        cmocka_unit_test(test_suite_verify),
        cmocka_unit_test(test_round_trip_sagemaker),
        cmocka_unit_test(test_sign_limits),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_malformed_authorization),
        cmocka_unit_test(test_uppercase_signature),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_unsigned_changes_allowed),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_content_sha256),
        cmocka_unit_test(test_canonical_details),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_credentials_create_and_reload),
        cmocka_unit_test(test_credentials_permissions),
        cmocka_unit_test(test_credentials_parse),
        cmocka_unit_test(test_credentials_race),
        cmocka_unit_test(test_botocore_signed),
    };
    return cmocka_run_group_tests(tests, setup_time, NULL);
}
