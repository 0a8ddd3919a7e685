package awsemu

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// accessKeysPerUser is IAM's quota
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
const accessKeysPerUser = 2

// iamTarget returns the user an IAM call is about: UserName in the caller's
// account, or the calling user. No IAM policies are modelled: any principal
// may read and change the users of its own account.
func (s *Server) iamTarget(c *call, caller *credential) (*userState, *apiError) {
	// "you cannot call any IAM API operations unless MFA authentication
	// information is included in the request" (STS GetSessionToken). IAM
	// says so as it says it of a token it does not know (aws-vault#215,
	// #328, #536: "InvalidClientTokenId ... when calling the ListUsers
	// operation").
	if caller.fromSessionToken && !caller.mfa {
		return nil, invalidClientTokenID()
	}
	name := c.params.Get("UserName")
	var u *userState
	if name == "" {
		if caller.principal.user == nil {
			return nil, validationError("Must specify userName when calling with non-User credentials")
		}
		u = caller.principal.user
	} else if u = s.users["arn:aws:iam::"+caller.principal.account+":user/"+name]; u == nil {
		return nil, &apiError{status: http.StatusNotFound, code: "NoSuchEntity", message: fmt.Sprintf("The user with name %s cannot be found.", name)}
	}
	if aerr := iamMFAPolicy(c, caller, u); aerr != nil {
		return nil, aerr
	}
	return u, nil
}

func (s *Server) getUser(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, aerr := s.iamTarget(c, caller)
	if aerr != nil {
		return nil, aerr
	}
	return getUserResult{User: userXML{
		UserID: uniqueID("AIDA", u.ARN()), Path: "/", UserName: u.Name, Arn: u.ARN(), CreateDate: awsTime(s.started),
	}}, nil
}

func (s *Server) listMFADevices(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, aerr := s.iamTarget(c, caller)
	if aerr != nil {
		return nil, aerr
	}
	var res listMFADevicesResult
	if u.MFA != nil {
		res.MFADevices.Members = []mfaDeviceXML{{UserName: u.Name, SerialNumber: u.MFA.Serial, EnableDate: awsTime(s.started)}}
	}
	return res, nil
}

func (s *Server) listAccessKeys(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, aerr := s.iamTarget(c, caller)
	if aerr != nil {
		return nil, aerr
	}
	res := listAccessKeysResult{UserName: u.Name}
	for _, id := range u.keyIDs {
		res.AccessKeyMetadata.Members = append(res.AccessKeyMetadata.Members,
			accessKeyMetadataXML{UserName: u.Name, AccessKeyID: id, Status: "Active", CreateDate: awsTime(u.created[id])})
	}
	return res, nil
}

func (s *Server) createAccessKey(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, aerr := s.iamTarget(c, caller)
	if aerr != nil {
		return nil, aerr
	}
	if len(u.keyIDs) >= accessKeysPerUser {
		return nil, &apiError{status: http.StatusConflict, code: "LimitExceeded",
			message: fmt.Sprintf("Cannot exceed quota for AccessKeysPerUser: %d", accessKeysPerUser)}
	}
	id := newKeyID("AKIA")
	for s.keys[id] != nil {
		id = newKeyID("AKIA")
	}
	secret := randomString(base64.RawStdEncoding, 40)
	s.keys[id] = &credential{secret: secret, principal: principal{account: u.Account, user: u},
		usableFrom: c.now.Add(time.Duration(s.faults.NewKeyDelayMS) * time.Millisecond)}
	u.keyIDs = append(u.keyIDs, id)
	u.created[id] = c.now
	var res createAccessKeyResult
	res.AccessKey.UserName, res.AccessKey.AccessKeyID, res.AccessKey.Status = u.Name, id, "Active"
	res.AccessKey.SecretAccessKey, res.AccessKey.CreateDate = secret, awsTime(c.now)
	return res, nil
}

// deleteAccessKey removes a long-term key; credentials already issued from
// it stay valid until they expire, as in AWS.
func (s *Server) deleteAccessKey(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.params.Get("AccessKeyId")
	if id == "" {
		return nil, validationError("1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null")
	}
	u, aerr := s.iamTarget(c, caller)
	if aerr != nil {
		return nil, aerr
	}
	for i, k := range u.keyIDs {
		if k == id {
			u.keyIDs = append(u.keyIDs[:i:i], u.keyIDs[i+1:]...)
			delete(u.created, id)
			delete(s.keys, id)
			return nil, nil
		}
	}
	return nil, &apiError{status: http.StatusNotFound, code: "NoSuchEntity", message: fmt.Sprintf("The Access Key with id %s cannot be found.", id)}
}
