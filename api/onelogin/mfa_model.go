package onelogin

// The response bodies of the MFA API, with the JSON types of
// onelogin-python-sdk 4.x's strict models (docs/onelogin-api.md, Decisions).

// mfaFactorModel is GetAuthFactors200Response (an element of a bare array).
type mfaFactorModel struct {
	FactorID       int    `json:"factor_id"`
	Name           string `json:"name"`
	AuthFactorName string `json:"auth_factor_name"`
}

// mfaDeviceModel is GetAuthenticationDevices200ResponseInner.
type mfaDeviceModel struct {
	DeviceID        string `json:"device_id"`
	UserDisplayName string `json:"user_display_name"`
	TypeDisplayName string `json:"type_display_name"`
	AuthFactorName  string `json:"auth_factor_name"`
	Default         bool   `json:"default"`
}

// mfaRegistrationModel is CreateFactorRegistration201Response plus the
// documented fields (docs/onelogin-api.md, Registrations).
type mfaRegistrationModel struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	DeviceID        string         `json:"device_id"`
	UserID          string         `json:"user_id"`
	UserDisplayName string         `json:"user_display_name"`
	TypeDisplayName string         `json:"type_display_name"`
	AuthFactorName  string         `json:"auth_factor_name"`
	ExpiresAt       string         `json:"expires_at"`
	Default         bool           `json:"default"`
	FactorData      *mfaFactorData `json:"factor_data,omitempty"`
}

type mfaFactorData struct {
	TotpURL string `json:"totp_url,omitempty"`
}

// mfaStatusModel is VerifyUserRegistration200Response and
// GetUserVerification200Response.
type mfaStatusModel struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	DeviceID string `json:"device_id"`
}

// mfaVerificationModel is CreateDeviceVerification201Response: device_id
// is an integer there (StrictInt).
type mfaVerificationModel struct {
	ID              string `json:"id"`
	DeviceID        int64  `json:"device_id"`
	UserID          string `json:"user_id"`
	Status          string `json:"status"`
	ExpiresAt       string `json:"expires_at"`
	UserDisplayName string `json:"user_display_name"`
	TypeDisplayName string `json:"type_display_name"`
	AuthFactorName  string `json:"auth_factor_name"`
}

// mfaVerifyModel is the hybrid PUT /verifications body (docs/onelogin-api.md, Verifications): the
// status of the verification and the flat Error model.
type mfaVerifyModel struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	DeviceID string `json:"device_id"`
	Error    bool   `json:"error"`
	Code     int    `json:"code"`
	Type     string `json:"type"`
	Message  string `json:"message"`
}

// mfaTokenModel is GenerateOTP201Response.
type mfaTokenModel struct {
	MFAToken  string `json:"mfa_token"`
	Reusable  bool   `json:"reusable"`
	ExpiresAt string `json:"expires_at"`
	DeviceID  string `json:"device_id"`
}
